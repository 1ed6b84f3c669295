// SVG charts drawn with DOM calls only: a stacked bar chart, a weekday-by-hour heatmap and a timeline.
// Every label goes in through textContent, so data never becomes markup.
"use strict";

const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const PALETTE = ["#1f5fbf", "#d48a00", "#2e7d32", "#8e44ad", "#c8321f", "#00838f", "#6d4c41", "#5d6877", "#ad1457", "#9e9d24"];

  function node(tag, attrs, text) {
    const element = document.createElementNS(NS, tag);
    for (const [name, value] of Object.entries(attrs || {})) element.setAttribute(name, String(value));
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function frame(width, height, label) {
    const svg = node("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": label });
    svg.appendChild(node("title", {}, label));
    return svg;
  }

  function legend(keys, colorOf) {
    const box = document.createElement("div");
    box.className = "legend";
    for (const key of keys) {
      const item = document.createElement("span");
      item.style.setProperty("--swatch", colorOf(key));
      item.textContent = key;
      box.appendChild(item);
    }
    return box;
  }

  // Bars per day, stacked by key (such as country). `days` is [{day, counts: {key: n}}].
  function stackedBars(days, label, marked) {
    const keys = [...new Set(days.flatMap((d) => Object.keys(d.counts)))];
    const totals = {};
    for (const d of days) for (const [k, n] of Object.entries(d.counts)) totals[k] = (totals[k] || 0) + n;
    keys.sort((a, b) => totals[b] - totals[a]);
    const colorOf = (key) => PALETTE[keys.indexOf(key) % PALETTE.length];

    const width = 1200, height = 260, left = 36, bottom = 28, top = 10;
    const max = Math.max(1, ...days.map((d) => Object.values(d.counts).reduce((a, b) => a + b, 0)));
    const svg = frame(width, height, label);
    const plot = height - bottom - top;
    const step = (width - left - 10) / Math.max(1, days.length);
    svg.appendChild(node("line", { x1: left, y1: top + plot, x2: width - 10, y2: top + plot, stroke: "#999" }));
    svg.appendChild(node("text", { x: left - 6, y: top + 8, "text-anchor": "end" }, String(max)));
    svg.appendChild(node("text", { x: left - 6, y: top + plot, "text-anchor": "end" }, "0"));

    days.forEach((d, i) => {
      let y = top + plot;
      const x = left + i * step + step * 0.15;
      for (const key of keys) {
        const n = d.counts[key] || 0;
        if (!n) continue;
        const h = (n / max) * plot;
        y -= h;
        const bar = node("rect", { x, y, width: Math.max(1, step * 0.7), height: h, fill: colorOf(key) });
        bar.appendChild(node("title", {}, `${d.day}: ${key} ${n}${marked && marked.has(key) ? " (unusual)" : ""}`));
        if (marked && marked.has(key)) { bar.setAttribute("stroke", "#b3261e"); bar.setAttribute("stroke-width", "2"); }
        svg.appendChild(bar);
      }
      if (days.length <= 16 || i % Math.ceil(days.length / 12) === 0) {
        svg.appendChild(node("text", { x: x + step * 0.35, y: height - 10, "text-anchor": "middle" }, d.day.slice(5)));
      }
    });

    const wrap = document.createElement("div");
    wrap.append(svg, legend(keys.map((k) => (marked && marked.has(k) ? `${k} (unusual)` : k)), (k) => colorOf(k.replace(" (unusual)", ""))));
    return wrap;
  }

  // Seven rows (Monday first) of 24 hourly cells, darker for more events.
  function heatmap(matrix, label) {
    const days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const cell = 26, left = 40, top = 18;
    const svg = frame(left + 24 * cell + 4, top + 7 * cell + 4, label);
    svg.classList.add("heatmap");
    const max = Math.max(1, ...matrix.flat());
    for (let h = 0; h < 24; h += 3) svg.appendChild(node("text", { x: left + h * cell + 2, y: 12 }, `${String(h).padStart(2, "0")}h`));
    matrix.forEach((row, d) => {
      svg.appendChild(node("text", { x: 4, y: top + d * cell + 17 }, days[d]));
      row.forEach((n, h) => {
        const shade = n === 0 ? "#f0f2f5" : `rgba(31, 95, 191, ${0.15 + 0.85 * (n / max)})`;
        const rect = node("rect", { x: left + h * cell, y: top + d * cell, width: cell - 2, height: cell - 2, fill: shade, rx: 2 });
        rect.appendChild(node("title", {}, `${days[d]} ${String(h).padStart(2, "0")}:00 UTC: ${n} events`));
        svg.appendChild(rect);
      });
    });
    return svg;
  }

  // Points on a time axis, one row per lane (such as a kill-chain stage). `items` is [{time, lane, label}].
  function timeline(items, label) {
    const lanes = [...new Set(items.map((i) => i.lane))];
    const times = items.map((i) => Date.parse(i.time));
    const start = Math.min(...times), end = Math.max(...times);
    const span = Math.max(1, end - start);
    const left = 150, width = 1200, row = 28, top = 10, bottom = 30;
    const height = top + lanes.length * row + bottom;
    const svg = frame(width, height, label);
    const xOf = (t) => left + ((t - start) / span) * (width - left - 20);
    lanes.forEach((lane, i) => {
      const y = top + i * row + row / 2;
      svg.appendChild(node("line", { x1: left, y1: y, x2: width - 20, y2: y, stroke: "#e1e5ea" }));
      svg.appendChild(node("text", { x: left - 8, y: y + 4, "text-anchor": "end" }, lane));
    });
    items.forEach((item) => {
      const y = top + lanes.indexOf(item.lane) * row + row / 2;
      const dot = node("circle", { cx: xOf(Date.parse(item.time)), cy: y, r: 6, fill: PALETTE[lanes.indexOf(item.lane) % PALETTE.length], stroke: "#fff" });
      dot.appendChild(node("title", {}, `${item.time}: ${item.label}`));
      svg.appendChild(dot);
    });
    const axis = top + lanes.length * row + 14;
    svg.appendChild(node("text", { x: left, y: axis }, new Date(start).toISOString().replace("T", " ").slice(0, 16)));
    svg.appendChild(node("text", { x: width - 20, y: axis, "text-anchor": "end" }, new Date(end).toISOString().replace("T", " ").slice(0, 16)));
    return svg;
  }

  return { stackedBars, heatmap, timeline };
})();
