extension Stylesheet {
    /// What only the live UI needs on top of ``css`` (the token form, the loading state, selected rows), served in
    /// `/ui/app.css` after it.
    static let ui = """
    [hidden] { display: none !important; }
    header.top h1 a { color: inherit; }
    header.top { align-items: center; }
    header.top .tools { margin-left: auto; display: flex; align-items: center; gap: 14px; }
    header.top form.filters { margin: 0; flex-wrap: wrap; align-items: center; }
    header.top form.filters label { flex-direction: row; align-items: center; gap: 6px; }
    header.top form.filters select, header.top form.filters input, header.top form.filters button { padding: 3px 6px; }
    button.link { border: none; background: none; color: #175cd3; padding: 0; font-size: 12.5px; }
    #view[aria-busy="true"] { opacity: .55; transition: opacity .2s .15s; }
    .banner.error { border-color: #fda29b; background: #fef3f2; }
    .token-form { max-width: 640px; margin: 36px auto; border: 1px solid var(--line); border-radius: 8px; padding: 4px 24px 22px; }
    .token-form label { display: block; font-size: 12px; color: var(--muted); margin-bottom: 4px; }
    .token-form input { width: 70%; }
    h2.headline { font-size: 17px; margin-top: 14px; }
    h2.headline .muted { font-size: 14px; font-weight: 400; }
    h2.headline #route-rate { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; }
    tr.selected td { background: #eff4ff; }
    tr.suggestion td { border-top: none; padding-top: 0; }
    tr.suggestion .suggest { margin: 0; }
    #rule-yaml { user-select: all; }
    #view > .crumbs { margin-top: 0; }
    header.top nav { display: flex; gap: 12px; }
    #problem-count { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; }
    table#problems tr.settled td { opacity: .6; }
    table#problems tr.fix-regressed td { background: #fef3f2; }
    table#problems td.shape .versions { color: var(--muted); font-size: 12px; margin-top: 2px; }
    table#problems .kind, table#problems .share { font-size: 12px; }
    table#problems td.status, table#problems a.example { white-space: nowrap; }
    .status-buttons { display: flex; gap: 4px; margin-top: 4px; }
    .status-buttons button { padding: 1px 7px; font-size: 12px; }
    .status-buttons button[aria-pressed="true"] { background: #eef4ff; border-color: #175cd3; color: #175cd3; }
    .pill.status-accepted { background: #d1fadf; color: var(--good); } .pill.status-fixed { background: #e0eaff; color: #175cd3; }
    .pill.own-target { background: #e0eaff; color: #175cd3; }
    """
}
