/// The one stylesheet of the HTML report and the web UI, inlined into every page (no external asset, no web
/// font: the system's UI font).
enum Stylesheet {
    static let css = """
    :root { color-scheme: light; --fg: #1d2433; --muted: #667085; --line: #e4e7ec; --bad: #b42318; --good: #1a7f37; --warn: #b54708; --bg2: #f7f8fa; --legacy: #6b7a90; --candidate: #e0871b; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: #fff; }
    header.top { display: flex; align-items: baseline; gap: 16px; padding: 14px 28px; border-bottom: 1px solid var(--line); background: var(--bg2); flex-wrap: wrap; }
    header.top h1 { font-size: 17px; margin: 0; }
    header.top .meta { color: var(--muted); font-size: 12.5px; }
    main { max-width: 1240px; margin: 0 auto; padding: 20px 28px 60px; }
    h2 { font-size: 16px; margin: 30px 0 10px; }
    h3 { font-size: 14.5px; margin: 22px 0 8px; }
    a { color: #175cd3; text-decoration: none; } a:hover { text-decoration: underline; }
    code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 12.5px; }
    .muted { color: var(--muted); }
    .cards { display: grid; grid-template-columns: 1.6fr repeat(5, 1fr); gap: 12px; margin: 4px 0 10px; }
    .card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; background: #fff; }
    .card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
    .card .value { font-size: 24px; font-weight: 650; margin-top: 2px; font-variant-numeric: tabular-nums; }
    .card.hero .value { font-size: 38px; }
    .card .sub { color: var(--muted); font-size: 12px; }
    .bad { color: var(--bad); } .good { color: var(--good); } .warn { color: var(--warn); }
    .banner { border: 1px solid #fec84b; background: #fffaeb; border-radius: 8px; padding: 10px 14px; margin: 10px 0; }
    table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
    th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
    th { font-size: 12px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .03em; background: var(--bg2); }
    td.n, th.n { text-align: right; }
    td.n, #routes td:first-child code { white-space: nowrap; }
    tr:hover td { background: #fafbfc; }
    ul.reasons { font-size: 13px; margin: 6px 0 0; padding-left: 18px; } ul.store-checks { margin: 0; padding-left: 18px; }
    .pill { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 11.5px; background: #eef2f6; color: #344054; }
    .pill.regression { background: #fee4e2; color: var(--bad); } .pill.noise { background: #eef2f6; color: #475467; } .pill.race { background: #fef0c7; color: var(--warn); }
    details { border: 1px solid var(--line); border-radius: 8px; margin: 8px 0; background: #fff; }
    details > summary { cursor: pointer; padding: 8px 12px; list-style-position: inside; }
    details[open] > summary { border-bottom: 1px solid var(--line); background: var(--bg2); }
    details .inner { padding: 10px 14px; }
    .side { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
    .side h4 { margin: 0 0 4px; font-size: 12px; color: var(--muted); text-transform: uppercase; }
    .side pre { margin: 0; padding: 10px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg2); overflow: auto; max-height: 480px; white-space: pre; }
    mark { background: #fde68a; border-radius: 2px; outline: 1px solid #f59e0b; }
    .jk { color: #1d4ed8; } .js { color: #0f5132; } .jn { color: #7a2e0e; } .hk { background: #fde68a; }
    .suggest { border-left: 3px solid #f79009; background: #fffaeb; padding: 8px 12px; margin: 8px 0; border-radius: 0 6px 6px 0; }
    .suggest pre { margin: 6px 0 0; background: #fff; border: 1px solid var(--line); padding: 8px; border-radius: 6px; }
    form.filters { display: flex; gap: 10px; align-items: end; flex-wrap: wrap; margin: 6px 0 14px; }
    form.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 3px; }
    h2 code, h3 code { font-size: .92em; }
    td.time { white-space: nowrap; }
    button { font-size: 13px; white-space: nowrap; }
    select, input, button { font-family: inherit; padding: 5px 8px; border: 1px solid #d0d5dd; border-radius: 6px; background: #fff; }
    button { cursor: pointer; background: #fff; } button.primary { background: #175cd3; color: #fff; border-color: #175cd3; }
    .chart { max-width: 620px; display: block; }
    .charts { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; align-items: start; }
    .crumbs { color: var(--muted); font-size: 13px; margin-bottom: 6px; }
    .kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; font-size: 13px; }
    .kv dt { color: var(--muted); } .kv dd { margin: 0; }
    @media (max-width: 1000px) { .cards { grid-template-columns: repeat(3, 1fr); } .charts, .side { grid-template-columns: 1fr; } }
    """
}
