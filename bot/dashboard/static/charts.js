// Draws every <canvas data-chart> from the JSON table next to it. Figures hidden for
// fewer than 5 people arrive as null and are left out of the chart (the table says why).
(function () {
  if (typeof Chart === "undefined") return;  // the tables and CSV links still work
  const palette = ["#2f6fb2", "#e07b39", "#3f9c6b", "#c44e52", "#8172b2", "#937860", "#da8bc3",
                   "#8c8c8c", "#ccb974", "#64b5cd", "#1b4f72", "#7d3c98", "#117a65", "#b9770e"];
  const rowsOf = (name) => JSON.parse(document.getElementById("data-" + name).textContent);
  const unique = (values) => [...new Set(values)];

  function stacked(rows) {
    const weeks = unique(rows.map((r) => r.week)).sort();
    const intents = unique(rows.map((r) => r.intent)).sort();
    return {
      type: "bar",
      data: {
        labels: weeks,
        datasets: intents.map((intent, i) => ({
          label: intent.replace(/^objection_/, "").replace(/_/g, " "),
          backgroundColor: palette[i % palette.length],
          data: weeks.map((w) => { const r = rows.find((x) => x.week === w && x.intent === intent); return r ? r.count : null; }),
        })),
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
    };
  }

  function sentiment(rows) {
    const colours = { negative: "#c44e52", neutral: "#8c8c8c", positive: "#3f9c6b" };
    return {
      type: "line",
      data: {
        labels: rows.map((r) => r.week),
        datasets: Object.keys(colours).map((label) => ({
          label, borderColor: colours[label], backgroundColor: colours[label], spanGaps: false,
          data: rows.map((r) => (r[label] === null ? null : Math.round(r[label] * 100))),
        })),
      },
      options: { scales: { y: { min: 0, max: 100, ticks: { callback: (v) => v + "%" } } } },
    };
  }

  function bar(rows) {
    const key = Object.keys(rows[0] || {}).find((k) => k !== "count");
    return {
      type: "bar",
      data: { labels: rows.map((r) => r[key]), datasets: [{ label: "messages", backgroundColor: palette[0], data: rows.map((r) => r.count) }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } },
    };
  }

  function answers(rows) {
    const rated = rows.filter((r) => typeof r.helped_share === "number");
    return {
      type: "bar",
      data: {
        labels: rated.map((r) => r.kb_entry.replace(/^objection_/, "").replace(/_/g, " ")),
        datasets: [{ label: "that helped", backgroundColor: palette[2], data: rated.map((r) => Math.round(r.helped_share * 100)) }],
      },
      options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { min: 0, max: 100 } } },
    };
  }

  const builders = { stacked, sentiment, bar, answers };
  for (const canvas of document.querySelectorAll("canvas[data-chart]")) {
    const rows = rowsOf(canvas.dataset.chart);
    if (!rows.length) continue;
    const config = builders[canvas.dataset.kind](rows);
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options);
    new Chart(canvas, config);
  }
})();
