/** The text nodes of an SVG (vega writes titles, axis labels and legends as <text>/<tspan>). */
export function svgTexts(svg: string): string[] {
  return svg
    .split(/<[^>]*>/)
    .map((t) => t.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').trim())
    .filter((t) => t !== '');
}
