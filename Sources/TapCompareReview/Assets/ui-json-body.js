function parseJSONKeepingText(text) {
  let i = 0, depth = 0;
  const space = () => { while (i < text.length && " \n\r\t".includes(text[i])) i++; };
  function string() {
    if (text[i] !== '"') return null;
    const start = i++;
    while (i < text.length) {
      const c = text[i];
      if (c === "\\") { i += 2; continue; }
      if (c === '"') { i++; return text.slice(start, i); }
      if (c < " ") return null;
      i++;
    }
    return null;
  }
  function value() {
    if (i >= text.length || depth > 200) return null;
    const c = text[i];
    if (c === "{" || c === "[") {
      depth++; i++;
      const object = c === "{", items = [];
      space();
      if (text[i] === (object ? "}" : "]")) { i++; depth--; return object ? { members: items } : { items }; }
      for (;;) {
        space();
        let key = null;
        if (object) {
          const quoted = string();
          if (quoted === null) return null;
          try { key = JSON.parse(quoted); } catch (e) { return null; }
          space();
          if (text[i] !== ":") return null;
          i++; space();
        }
        const v = value();
        if (v === null) return null;
        items.push(object ? [key, v] : v);
        space();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === (object ? "}" : "]")) { i++; depth--; return object ? { members: items } : { items }; }
        return null;
      }
    }
    if (c === '"') { const s = string(); return s === null ? null : { scalar: s }; }
    const start = i;
    while (i < text.length && !" \n\r\t,]}".includes(text[i])) i++;
    const s = text.slice(start, i);
    if (s === "true" || s === "false" || s === "null" || (s !== "" && !isNaN(Number(s)))) return { scalar: s };
    return null;
  }
  space();
  const node = value();
  space();
  return node !== null && i === text.length ? node : null;
}

function pointerSegment(key) { return key.replace(/~/g, "~0").replace(/\//g, "~1"); }

function writeJSON(node, pointer, indent, highlight) {
  const marked = highlight.has(pointer);
  const pad = "  ".repeat(indent + 1), closePad = "  ".repeat(indent);
  let out = marked ? `<mark data-path="${esc(pointer)}">` : "";
  if (node.scalar !== undefined) {
    out += `<span class="${node.scalar.startsWith('"') ? "js" : "jn"}">${esc(node.scalar)}</span>`;
  } else if (node.items) {
    if (node.items.length === 0) out += "[]";
    else out += "[\n" + node.items.map((item, n) => pad + writeJSON(item, pointer + "/" + n, indent + 1, highlight)).join(",\n") + "\n" + closePad + "]";
  } else if (node.members.length === 0) {
    out += "{}";
  } else {
    out += "{\n" + node.members.map(([key, v]) => {
      const child = pointer + "/" + pointerSegment(key);
      return pad + `<span class="jk${highlight.has(child) ? " hk" : ""}">${esc(JSON.stringify(key))}</span>: ` + writeJSON(v, child, indent + 1, highlight);
    }).join(",\n") + "\n" + closePad + "}";
  }
  return out + (marked ? "</mark>" : "");
}

function bodyView(text, highlight) {
  if (text === undefined || text === null || text === "") return '<span class="muted">(no body kept)</span>';
  if (text.startsWith("base64:")) return `<span class="muted">(binary body, ${text.length - 7} Base64 characters)</span>`;
  if (text.startsWith("[WITHHELD]")) return '<span class="muted withheld">' + esc(text) + '</span>';
  const node = parseJSONKeepingText(text);
  return node === null ? esc(text) : writeJSON(node, "", 0, highlight);
}
