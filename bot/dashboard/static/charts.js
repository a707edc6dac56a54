// Draws every <canvas data-chart> from the JSON table next to it. Figures hidden for
// fewer than 5 people arrive as null and are left out of the chart (the table says why).
(function () {
  if (typeof Chart === "undefined") return;  // the tables and CSV links still work
  const palette = ["#2f6fb2", "#e07b39", "#3f9c6b", "#c44e52", "#8172b2", "#937860", "#da8bc3",
                   "#8c8c8c", "#ccb974", "#64b5cd", "#1b4f72", "#7d3c98", "#117a65", "#b9770e"];
  const rowsOf = (name) => JSON.parse(document.getElementById("data-" + name).textContent);
  // The legends, units and objection names in the page's language (bot/dashboard/locale.py).
  const texts = JSON.parse(document.getElementById("chart-texts").textContent);
  const topic = (intent) => texts.topics[intent] || intent.replace(/^objection_/, "").replace(/_/g, " ");
  const dayMonth = new Intl.DateTimeFormat(texts.language, { day: "numeric", month: "short", timeZone: "UTC" });
  const weekLabel = (week) => { const day = new Date(week + "T00:00:00Z"); return isNaN(day) ? week : dayMonth.format(day); };
  const percent = new Intl.NumberFormat(texts.language, { style: "percent" });
  const unique = (values) => [...new Set(values)];

  function stacked(rows) {
    const weeks = unique(rows.map((r) => r.week)).sort();
    const intents = unique(rows.map((r) => r.intent)).sort();
    return {
      type: "bar",
      data: {
        labels: weeks.map(weekLabel),
        datasets: intents.map((intent, i) => ({
          label: topic(intent),
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
        labels: rows.map((r) => weekLabel(r.week)),
        datasets: Object.keys(colours).map((mood) => ({
          label: texts.moods[mood], borderColor: colours[mood], backgroundColor: colours[mood], spanGaps: false,
          data: rows.map((r) => (r[mood] === null ? null : Math.round(r[mood] * 100))),
        })),
      },
      options: { scales: { y: { min: 0, max: 100, ticks: { callback: (v) => percent.format(v / 100) } } } },
    };
  }

  function bar(rows) {
    const key = Object.keys(rows[0] || {}).find((k) => k !== "count");
    return {
      type: "bar",
      data: { labels: rows.map((r) => r[key]), datasets: [{ label: texts.messages, backgroundColor: palette[0], data: rows.map((r) => r.count) }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } },
    };
  }

  function answers(rows) {
    const rated = rows.filter((r) => typeof r.helped_share === "number");
    return {
      type: "bar",
      data: {
        labels: rated.map((r) => topic(r.kb_entry)),
        datasets: [{ label: texts.that_helped, backgroundColor: palette[2], data: rated.map((r) => Math.round(r.helped_share * 100)) }],
      },
      options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { min: 0, max: 100, ticks: { callback: (v) => percent.format(v / 100) } } } },
    };
  }

  // The weekly pulse (bot/dashboard/pulse.py): one line per team, its average answer from 1 to 5.
  function pulse(rows) {
    const weeks = unique(rows.map((r) => r.week)).sort();
    const teams = unique(rows.map((r) => r.team));
    return {
      type: "line",
      data: {
        labels: weeks.map(weekLabel),
        datasets: teams.map((team, i) => ({
          label: team === null ? "—" : team, borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length], spanGaps: false,
          data: weeks.map((w) => { const r = rows.find((x) => x.week === w && x.team === team); return r ? r.average : null; }),
        })),
      },
      options: { scales: { y: { min: 1, max: 5 } } },
    };
  }
  const builders = { stacked, sentiment, bar, answers, pulse };
  for (const canvas of document.querySelectorAll("canvas[data-chart]")) {
    const rows = rowsOf(canvas.dataset.chart);
    if (!rows.length) continue;
    const config = builders[canvas.dataset.kind](rows);
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options);
    new Chart(canvas, config);
  }
})();
