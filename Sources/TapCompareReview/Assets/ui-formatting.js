const fmt = {
  /// 2.50%, 0%, 100%; small non-zero rates keep more decimals (0.012%).
  percent(rate) {
    const p = rate * 100;
    if (p === 0) return "0%";
    if (p === 100) return "100%";
    if (p < 0.1) return p.toFixed(3) + "%";
    return p.toFixed(2) + "%";
  },
  /// 12.3 ms, 850 ms, 1.25 s.
  ms(ms) {
    if (ms >= 10000) return (ms / 1000).toFixed(1) + " s";
    if (ms >= 1000) return (ms / 1000).toFixed(2) + " s";
    if (ms >= 100) return ms.toFixed(0) + " ms";
    return ms.toFixed(1) + " ms";
  },
  number(ms) { return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1); },
  ratio(r) { return r.toFixed(2) + "×"; },
  /// 1,234,567.
  count(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); },
  /// 2026-11-22 02:04:33Z from the API's 2026-11-22T02:04:33.123Z.
  time(text) { return text ? text.slice(0, 10) + " " + text.slice(11, 19) + "Z" : "–"; },
  /// 3d 4h, 2h 5m, 45s.
  span(seconds) {
    const s = Math.round(seconds);
    if (s >= 86400) return Math.floor(s / 86400) + "d " + Math.floor((s % 86400) / 3600) + "h";
    if (s >= 3600) return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
    if (s >= 60) return Math.floor(s / 60) + "m " + (s % 60) + "s";
    return s + "s";
  },
  /// 200×95 404×5; "none" for a side that did not answer.
  statusMix(counts) { return (counts || []).map((c) => (c.status === undefined ? "none" : c.status) + "×" + fmt.count(c.count)).join(" "); },
  /// A JSON value shortened for a table cell.
  value(json, limit) {
    if (json === undefined || json === null) return "(absent)";
    const flat = String(json).replace(/\n/g, " ");
    return flat.length <= limit ? flat : flat.slice(0, limit - 1) + "…";
  },
  percentiles(p) { return p ? fmt.number(p.p50) + " / " + fmt.number(p.p90) + " / " + fmt.number(p.p99) : "–"; },
  /// The window a report covers: 2026-11-22 00:00:00Z → 2026-11-22 12:00:00Z (12h 0m).
  window(report) {
    const from = (report.filter && report.filter.from) || report.overview.first_seen;
    const to = (report.filter && report.filter.to) || report.overview.last_seen;
    let text = fmt.time(from) + " → " + fmt.time(to);
    if (from && to) text += " (" + fmt.span((Date.parse(to) - Date.parse(from)) / 1000) + ")";
    return text;
  },
};
const rateClass = (regressed) => (regressed > 0 ? "bad" : "good");
