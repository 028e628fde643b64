/** A horizontal bar chart as a self-contained SVG: one bar per row, the value written beside it. */
export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly group: string;
}

const COLORS = ['#2f6fab', '#e08a1e', '#3c9a4f', '#b03a48', '#7b5ea7', '#5a5a5a'];
const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function barChart(title: string, unit: string, bars: readonly Bar[]): string {
  const labelWidth = 330;
  const barWidth = 420;
  const rowHeight = 22;
  const top = 40;
  const max = Math.max(...bars.map((b) => b.value), 1);
  const groups = [...new Set(bars.map((b) => b.group))];
  const height = top + bars.length * rowHeight + 20 + groups.length * 18;
  const rows = bars.map((b, i) => {
    const y = top + i * rowHeight;
    const w = Math.max(1, (b.value / max) * barWidth);
    const color = COLORS[groups.indexOf(b.group) % COLORS.length];
    return (
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escapeXml(b.label)}</text>` +
      `<rect x="${labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 6}" fill="${color}"/>` +
      `<text x="${labelWidth + w + 6}" y="${y + 15}">${b.value.toFixed(b.value < 100 ? 1 : 0)} ${escapeXml(unit)}</text>`
    );
  });
  const legend = groups.map((g, i) => {
    const y = top + bars.length * rowHeight + 16 + i * 18;
    return (
      `<rect x="${labelWidth}" y="${y - 10}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text ` +
      `x="${labelWidth + 18}" y="${y}">${escapeXml(g)}</text>`
    );
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + barWidth + 120}" height="${height}" ` +
    'font-family="sans-serif" font-size="12">' +
    `<rect width="100%" height="100%" fill="white"/><text x="10" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>` +
    `${rows.join('')}${legend.join('')}</svg>\n`
  );
}
