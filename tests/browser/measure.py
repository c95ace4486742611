"""What a 360 px phone measures on a page: controls smaller than a thumb, and tables, lists and
forms that do not read (wider than the screen, columns or labels narrower than a word, text
squeezed into a narrow column beside other text, a tracking code, a date or a time broken over
lines), and placeholders cut off by their field."""

SCREEN = 360
THUMB = 44  # px: WCAG 2.5.5's target size, and Apple's and Android's guides
WORD = 40  # px: about three CJK characters, the narrowest a column may read
# px: about seven CJK characters. Text drawn narrower than this over three lines or more has
# been squeezed into a column beside something else (a list's row laid out as a row of blocks).
NARROW = 100

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

UNREADABLE_TABLES = r"""([screen, word, narrow]) => {
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
  // A short label in a table (a role, a column's name: up to six characters, or a Latin word)
  // reads as one word: never broken over lines, as 党小组|成员 or Attend|ed were.
  const latin = /[A-Za-z][A-Za-z']+/g;  // a hyphen is a place to break
  const lineCount = (node, start, end) => {
    const range = document.createRange();
    range.setStart(node, start);
    range.setEnd(node, end);
    return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
  };
  for (const cell of document.querySelectorAll('table th, table td')) {
    if (!cell.getClientRects().length) continue;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      const text = node.textContent.trim();
      const start = node.textContent.indexOf(text);
      const oneWord = text && text.length <= 6 && !/\s/.test(text);
      if (oneWord && lineCount(node, start, start + text.length) > 1)
        found.push(`"${text}" is broken over lines in a table`);
      for (const word of node.textContent.matchAll(latin))
        if (lineCount(node, word.index, word.index + word[0].length) > 1)
          found.push(`"${word[0]}" is broken over lines in a table`);
    }
  }
  // Nothing in a table is cut off: a chip or a cell shows all it says (a calendar's meeting
  // once showed "万…", its time never).
  for (const cut of document.querySelectorAll('table .text-truncate, table .badge')) {
    if (cut.getClientRects().length && cut.scrollWidth > cut.clientWidth + 1)
      found.push(`"${cut.textContent.trim().slice(0, 20)}" is cut off in a table`);
  }
  // A form's words read across, not a character per line (a label beside its help text).
  for (const text of document.querySelectorAll('label, legend, .form-text, .invalid-feedback')) {
    const words = text.textContent.trim();
    const textWidth = text.getBoundingClientRect().width;
    // A short word drawn at its own width is not squeezed: only one that wraps.
    const range = document.createRange();
    range.selectNodeContents(text);
    const wraps = new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1;
    if (words.length > 3 && text.getClientRects().length && textWidth < word && wraps)
      found.push(`"${words.slice(0, 20)}" squeezed into ${Math.round(textWidth)} px`);
  }
  // Text squeezed into a narrow column beside other text, a few characters a line (a table's
  // columns are measured above).
  for (const block of document.querySelectorAll('main *')) {
    if (block.closest('table, .visually-hidden')) continue;
    const own = [...block.childNodes]
      .filter(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    if (!own.length || !block.getClientRects().length) continue;
    const {width} = block.getBoundingClientRect();
    if (width >= narrow) continue;
    const lines = new Set();
    for (const node of own) {
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const rect of range.getClientRects()) lines.add(Math.round(rect.top));
    }
    const text = block.textContent.trim().slice(0, 20);
    if (lines.size >= 3)
      found.push(`"${text}" squeezed into ${Math.round(width)} px over ${lines.size} lines`);
  }
  // A tracking code, a date or a time reads as one word: never broken over lines.
  const words = new RegExp([
    "YJ[0-9A-Z]{8}", "[0-9]{4}-[0-9]{2}-[0-9]{2}", "[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日",
    "[0-9]{1,2}:[0-9]{2}"].join("|"), "g");
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    for (const word of node.textContent.matchAll(words)) {
      const range = document.createRange();
      range.setStart(node, word.index);
      range.setEnd(node, word.index + word[0].length);
      const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (lines.size > 1) found.push(`"${word[0]}" is broken over ${lines.size} lines`);
    }
  }
  return found;
}"""


CUT_PLACEHOLDERS = """() => {
  // A placeholder is drawn in its field's font inside its padding: measured on a canvas.
  const context = document.createElement('canvas').getContext('2d');
  return [...document.querySelectorAll('input[placeholder], textarea[placeholder]')]
    .filter(e => e.getClientRects().length && !e.value)
    .map(e => {
      const style = getComputedStyle(e);
      context.font = style.font;
      const room = e.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      return [e.name, e.placeholder, Math.ceil(context.measureText(e.placeholder).width),
              Math.floor(room)];
    })
    .filter(([_name, _text, needed, room]) => needed > room);
}"""


def cut_placeholders(page):
    return page.evaluate(CUT_PLACEHOLDERS)


def small_controls(page):
    return page.evaluate(SMALL_CONTROLS, [THUMB])


def unreadable_tables(page):
    return page.evaluate(UNREADABLE_TABLES, [SCREEN, WORD, NARROW])
