"""What a 360 px phone measures on a page: controls smaller than a thumb, and tables and forms
that do not read (wider than the screen, columns or labels narrower than a word, tracking codes
that wrap)."""

SCREEN = 360
THUMB = 44  # px: WCAG 2.5.5's target size, and Apple's and Android's guides
WORD = 40  # px: about three CJK characters, the narrowest a column may read

SMALL_CONTROLS = """([thumb]) => {
  // Shown: drawn, and not inside something transparent or hidden (a closed overlay).
  const shown = e => e.getClientRects().length && !e.closest('[aria-hidden=true], .visually-hidden')
    && e.checkVisibility({opacityProperty: true, visibilityProperty: true});
  // A link in a sentence is measured like any other target: a thumb taps it all the same.
  // A checkbox or radio is measured alone, not with its label: its own box is the target.
  const box = e => {
    const {width, height} = e.getBoundingClientRect();
    return [width, height];
  };
  return [...document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea, summary')]
    .filter(shown)
    .map(e => [e.outerHTML.slice(0, 100), ...box(e).map(Math.round)])
    .filter(([_html, width, height]) => width < thumb - 0.5 || height < thumb - 0.5);
}"""

UNREADABLE_TABLES = """([screen, word]) => {
  const found = [];
  const page = document.documentElement.scrollWidth;
  if (page > screen) found.push(`the page is ${page} px wide`);
  for (const table of document.querySelectorAll('table')) {
    if (!table.getClientRects().length) continue;  // not shown at this width
    const name = table.dataset.testid || table.className;
    const {right, width} = table.getBoundingClientRect();
    const holder = table.parentElement;
    if (right > screen + 0.5 || holder.scrollWidth > holder.clientWidth + 1)
      found.push(`${name}: ${Math.round(width)} px wide, scrolls sideways`);
    for (const cell of table.querySelectorAll('th, td')) {
      const text = cell.textContent.trim();
      const cellWidth = cell.getBoundingClientRect().width;
      if (text && cell.getClientRects().length && cellWidth < word)
        found.push(`${name}: "${text.slice(0, 20)}" in a column ${Math.round(cellWidth)} px wide`);
    }
  }
  // A form's words read across, not a character per line (a label beside its help text).
  for (const text of document.querySelectorAll('label, legend, .form-text, .invalid-feedback')) {
    const words = text.textContent.trim();
    const textWidth = text.getBoundingClientRect().width;
    if (words.length > 3 && text.getClientRects().length && textWidth < word)
      found.push(`"${words.slice(0, 20)}" squeezed into ${Math.round(textWidth)} px`);
  }
  // A tracking code reads as one word: never broken over lines (its text on one line).
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    for (const code of node.textContent.matchAll(/YJ[0-9A-Z]{8}/g)) {
      const range = document.createRange();
      range.setStart(node, code.index);
      range.setEnd(node, code.index + code[0].length);
      const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (lines.size > 1) found.push(`the tracking code ${code[0]} wraps over ${lines.size} lines`);
    }
  }
  return found;
}"""


def small_controls(page):
    return page.evaluate(SMALL_CONTROLS, [THUMB])


def unreadable_tables(page):
    return page.evaluate(UNREADABLE_TABLES, [SCREEN, WORD])
