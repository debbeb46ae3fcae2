const LEGACY_COLOR = "#6b7a90", CANDIDATE_COLOR = "#e0871b";
const f1 = (v) => v.toFixed(1);

/// 1, 2 or 5 times a power of ten, at or above `value`, at most 1.
function niceCeiling(value) {
  const base = Math.pow(10, Math.floor(Math.log10(value)));
  for (const m of [1, 2, 5, 10]) if (m * base >= value) return Math.min(1, m * base);
  return Math.min(1, 10 * base);
}

/// Regression rate per time bucket; a bucket with nothing compared is a grey tick.
function timelineChart(timeline) {
  const buckets = (timeline && timeline.buckets) || [];
  if (!buckets.some((b) => b.compared > 0)) return '<p class="muted">No compared requests in this window.</p>';
  const width = 560, height = 170, left = 52, bottom = 22, top = 8;
  const plotW = width - left - 8, plotH = height - bottom - top;
  const scale = niceCeiling(Math.max(Math.max(...buckets.map((b) => b.mismatch_rate)), 0.0001));
  const step = plotW / buckets.length;
  let body = "";
  for (const frac of [0, 0.5, 1]) {
    const y = top + plotH * (1 - frac);
    body += `<line x1="${left}" y1="${y}" x2="${width - 8}" y2="${y}" stroke="#e5e7eb"/>`;
    body += `<text x="${left - 6}" y="${y + 4}" font-size="10" text-anchor="end" fill="#555">${fmt.percent(scale * frac)}</text>`;
  }
  buckets.forEach((b, i) => {
    const x = left + i * step + step * 0.1, w = Math.max(1, step * 0.8);
    if (b.compared === 0) {
      body += `<rect x="${f1(x)}" y="${f1(top + plotH - 1)}" width="${f1(w)}" height="1" fill="#d0d5dd"/>`;
      return;
    }
    const h = Math.max(b.regressed > 0 ? 2 : 0.5, (plotH * b.mismatch_rate) / scale);
    body += `<rect x="${f1(x)}" y="${f1(top + plotH - h)}" width="${f1(w)}" height="${f1(h)}" fill="${b.regressed > 0 ? "#d92d20" : "#12b76a"}">` +
      `<title>${esc(fmt.time(b.start))}: ${fmt.percent(b.mismatch_rate)} (${b.regressed} of ${b.compared})</title></rect>`;
  });
  const end = new Date(Date.parse(buckets[buckets.length - 1].start) + timeline.bucket_seconds * 1000).toISOString();
  body += `<text x="${left}" y="${height - 6}" font-size="10" fill="#555">${esc(fmt.time(buckets[0].start))}</text>`;
  body += `<text x="${width - 8}" y="${height - 6}" font-size="10" text-anchor="end" fill="#555">${esc(fmt.time(end))}</text>`;
  return `<svg class="chart" role="img" aria-label="Mismatch rate over time" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMinYMin meet">${body}</svg>`;
}

/// Legacy against candidate latency at p50, p90 and p99, one block per route, on one shared scale.
function latencyChart(routes) {
  const shown = routes.filter((r) => r.latency && (r.latency.legacy || r.latency.candidate));
  if (shown.length === 0) return '<p class="muted">No latency measured in this window.</p>';
  const maxValue = Math.max(...shown.flatMap((r) => [r.latency.legacy, r.latency.candidate].filter(Boolean).map((p) => p.p99)), 1e-9);
  const width = 560, labelWidth = 40, barArea = width - labelWidth - 70, bar = 11, rowGap = 6, blockGap = 26;
  let y = 28;
  let body = `<g font-size="12"><rect x="${labelWidth}" y="2" width="10" height="10" fill="${LEGACY_COLOR}"/><text x="${labelWidth + 14}" y="11">legacy</text>` +
    `<rect x="${labelWidth + 70}" y="2" width="10" height="10" fill="${CANDIDATE_COLOR}"/><text x="${labelWidth + 84}" y="11">candidate</text></g>`;
  for (const r of shown) {
    body += `<text x="0" y="${y + 10}" font-size="13" font-weight="600">${esc(r.route)}</text>`;
    if (r.latency.ratio) {
      const faster = r.latency.ratio.p99 < 1;
      body += `<text x="${width}" y="${y + 10}" font-size="12" text-anchor="end" fill="${faster ? "#1a7f37" : "#b42318"}">p99 ×${r.latency.ratio.p99.toFixed(2)} (${faster ? "faster" : "slower"})</text>`;
    }
    y += 18;
    for (const p of ["p50", "p90", "p99"]) {
      body += `<text x="${labelWidth - 8}" y="${y + bar + 2}" font-size="11" text-anchor="end" fill="#555">${p}</text>`;
      [r.latency.legacy, r.latency.candidate].forEach((side, i) => {
        if (!side) return;
        const value = side[p], w = Math.max(1, (barArea * value) / maxValue), by = y + i * bar;
        body += `<rect x="${labelWidth}" y="${by}" width="${f1(w)}" height="${bar - 1}" fill="${i === 0 ? LEGACY_COLOR : CANDIDATE_COLOR}"><title>${i === 0 ? "legacy" : "candidate"} ${p} ${fmt.ms(value)}</title></rect>`;
        body += `<text x="${f1(labelWidth + w + 4)}" y="${by + bar - 1.5}" font-size="9.5" fill="#333">${fmt.ms(value)}</text>`;
      });
      y += 2 * bar + rowGap;
    }
    y += blockGap - rowGap;
  }
  return `<svg class="chart" role="img" aria-label="Latency percentiles per route, legacy against candidate" viewBox="0 0 ${width + 10} ${Math.round(y)}" width="100%" preserveAspectRatio="xMinYMin meet">${body}</svg>`;
}
