/* uchet: draws a report's chart with the vendored Chart.js (static/vendor/chartjs).
 *
 * The page embeds the data as JSON (#uchet-report-data, built by uchet/web/reportdata.py):
 * bar, line and pie charts get labels and series of numbers; a Gantt chart gets bars with
 * ISO start and end and a percent complete (S14). When the chart has been drawn the canvas
 * gets data-drawn="1" (the browser tests wait for it).
 */
(function () {
  "use strict";
  var node = document.getElementById("uchet-report-data");
  var canvas = document.getElementById("uchet-report-canvas");
  if (!node || !canvas || !window.Chart) { return; }
  var data = JSON.parse(node.textContent);
  var narrow = window.matchMedia("(max-width: 576px)").matches;
  var PALETTE = ["#2f7ed8", "#f28f43", "#8bbc21", "#910000", "#1aadce", "#492970",
                 "#77a1e5", "#c42525", "#a6c96a", "#0d233a", "#e4d354", "#7cb5ec"];
  var DAY = 86400000;

  function shorten(text, max) {
    text = String(text);
    return text.length > max ? text.slice(0, max - 1) + "…" : text;
  }

  /* A number as the table shows it: grouped digits, money with its symbol, percent. */
  function formatter(fmt, compact) {
    var options = {maximumFractionDigits: fmt.kind === "integer" ? 0 : 2};
    if (compact) { options = {notation: "compact", maximumFractionDigits: 1}; }
    var nf = new Intl.NumberFormat(data.locale, options);
    return function (value) {
      if (value === null || value === undefined) { return ""; }
      var text = nf.format(value);
      if (fmt.kind === "money") { return text + "\u00a0" + fmt.symbol; }
      if (fmt.kind === "percent") { return text + "\u00a0%"; }
      return text;
    };
  }

  var drawn = {
    id: "uchetDrawn",
    afterRender: function (chart) { chart.canvas.setAttribute("data-drawn", "1"); }
  };

  function seriesChart() {
    var full = data.series.map(function (s) { return formatter(s.format, false); });
    var line = data.kind === "line";
    // Many bars or long names (clients, tasks) read better as horizontal bars, one row
    // per name, than as a fence of slanted labels.
    var longest = Math.max.apply(null, data.labels.map(function (l) { return String(l).length; }));
    var horizontal = !line && (data.labels.length > 8 || longest > 16);
    var value = horizontal ? "x" : "y", category = horizontal ? "y" : "x";
    if (horizontal) {
      var row = Math.max(22, 8 + 12 * data.series.length);
      canvas.parentNode.style.height = (90 + row * data.labels.length) + "px";
    }
    var axes = {};
    data.series.forEach(function (s) {
      var id = s.axis === "y1" ? value + "1" : value;
      if (!axes[id]) { axes[id] = formatter(s.format, true); }
    });
    var datasets = data.series.map(function (s, i) {
      var color = PALETTE[i % PALETTE.length];
      var set = {
        label: s.label, data: s.values,
        backgroundColor: line ? color : color + "cc", borderColor: color,
        borderWidth: line ? 2 : 1, pointRadius: line ? 3 : 0, tension: 0, fill: false,
        maxBarThickness: 40
      };
      set[value + "AxisID"] = s.axis === "y1" ? value + "1" : value;
      return set;
    });
    var scales = {};
    scales[category] = {
      ticks: {
        autoSkip: !horizontal, maxRotation: narrow ? 70 : 45,
        callback: function (v) { return shorten(this.getLabelForValue(v), narrow ? 14 : 28); }
      }
    };
    Object.keys(axes).forEach(function (id) {
      var second = id.length > 1;
      scales[id] = {
        beginAtZero: true, position: second ? (horizontal ? "top" : "right") : (horizontal ? "bottom" : "left"),
        grid: {drawOnChartArea: !second},
        ticks: {maxTicksLimit: narrow ? 4 : 8, callback: function (v) { return axes[id](v); }}
      };
      if (axes[id] && data.series.some(function (s) { return s.format.kind === "integer"; })) {
        scales[id].ticks.precision = 0;
      }
    });
    return {
      type: line ? "line" : "bar",
      data: {labels: data.labels, datasets: datasets},
      options: {
        indexAxis: category, responsive: true, maintainAspectRatio: false, animation: false,
        interaction: {mode: "index", intersect: false, axis: category},
        scales: scales,
        plugins: {
          legend: {position: "bottom", labels: {boxWidth: 12}},
          tooltip: {callbacks: {
            label: function (ctx) {
              return ctx.dataset.label + ": " + full[ctx.datasetIndex](ctx.parsed[value]);
            }
          }}
        }
      },
      plugins: [drawn]
    };
  }

  function pieChart() {
    var s = data.series[0];
    var fmt = formatter(s.format, false);
    var total = s.values.reduce(function (a, b) { return a + (b || 0); }, 0);
    function share(v) { return total ? Math.round(v * 100 / total) + "\u00a0%" : ""; }
    return {
      type: "pie",
      data: {labels: data.labels, datasets: [{
        label: s.label, data: s.values, borderColor: "#fff", borderWidth: 1,
        backgroundColor: data.labels.map(function (_, i) { return PALETTE[i % PALETTE.length]; })
      }]},
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: {
          legend: {
            position: narrow ? "bottom" : "right",
            labels: {
              boxWidth: 12,
              generateLabels: function (chart) {
                var items = Chart.overrides.pie.plugins.legend.labels.generateLabels(chart);
                items.forEach(function (item, i) {
                  item.text = shorten(item.text, narrow ? 18 : 30) + " — " + fmt(s.values[i]) + " (" + share(s.values[i]) + ")";
                });
                return items;
              }
            }
          },
          tooltip: {callbacks: {
            label: function (ctx) { return ctx.label + ": " + fmt(ctx.parsed) + " (" + share(ctx.parsed) + ")"; }
          }}
        }
      },
      plugins: [drawn]
    };
  }

  /* Local time of an ISO date ("2025-05-20", the whole day) or date and time. */
  function time(text, end) {
    if (text.length === 10) { return new Date(text + "T00:00").getTime() + (end ? DAY : 0); }
    return new Date(text).getTime();
  }

  function midnight(ms) { var d = new Date(ms); d.setHours(0, 0, 0, 0); return d.getTime(); }

  function ganttChart() {
    var texts = data.texts;
    var now = new Date(data.now).getTime();
    var COLORS = {
      plan: ["rgba(47,126,216,.28)", "#2f7ed8"],
      done: ["rgba(40,167,69,.28)", "#28a745"],
      overdue: ["rgba(220,53,69,.25)", "#dc3545"]
    };
    var planned = [], progress = [], light = [], dark = [];
    data.bars.forEach(function (b) {
      var start = time(b.start, false), end = time(b.end, true);
      if (end - start < DAY / 12) { end = start + DAY / 12; }  // an instant still shows
      var p = b.progress === null ? 0 : Math.max(0, Math.min(100, b.progress));
      var state = p >= 100 ? "done" : (end < now ? "overdue" : "plan");
      planned.push([start, end]);
      progress.push(p > 0 ? [start, start + (end - start) * p / 100] : null);
      light.push(COLORS[state][0]);
      dark.push(COLORS[state][1]);
    });
    var min = midnight(Math.min.apply(null, planned.map(function (x) { return x[0]; })));
    var max = midnight(Math.max.apply(null, planned.map(function (x) { return x[1]; })) - 1) + DAY;
    var days = Math.round((max - min) / DAY);
    // A grid line for every day (S14: execution by day); a date under every n-th one.
    var every = Math.max(1, Math.ceil(days / (narrow ? 5 : 16)));
    var step = days <= 120 ? DAY : DAY * every;
    var dayText = new Intl.DateTimeFormat(data.locale, {day: "2-digit", month: "2-digit"});
    var today = {
      id: "uchetToday",
      afterDatasetsDraw: function (chart) {
        var x = chart.scales.x, area = chart.chartArea, c = chart.ctx;
        if (now < x.min || now > x.max) { return; }
        var px = x.getPixelForValue(now);
        c.save();
        c.strokeStyle = "#dc3545"; c.lineWidth = 1.5; c.setLineDash([5, 4]);
        c.beginPath(); c.moveTo(px, area.top); c.lineTo(px, area.bottom); c.stroke();
        c.restore();
      }
    };
    var bars = data.bars;
    return {
      type: "bar",
      data: {
        labels: bars.map(function (b) { return b.label; }),
        datasets: [
          {label: texts.progress, data: progress, backgroundColor: dark, grouped: false,
           order: 0, barPercentage: 0.8, categoryPercentage: 0.9, borderSkipped: false},
          {label: texts.plan, data: planned, backgroundColor: light, borderColor: dark,
           borderWidth: 1, grouped: false, order: 1, barPercentage: 0.8,
           categoryPercentage: 0.9, borderSkipped: false}
        ]
      },
      options: {
        indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false,
        scales: {
          x: {
            type: "linear", position: "top", min: min, max: max,
            afterBuildTicks: function (scale) {
              var ticks = [];
              for (var v = min; v <= max; v += step) { ticks.push({value: v}); }
              scale.ticks = ticks;
            },
            ticks: {maxRotation: 0, autoSkip: false, callback: function (v) {
              var n = Math.round((v - min) / DAY);
              return step > DAY || n % every === 0 ? dayText.format(new Date(v)) : "";
            }},
            grid: {color: "rgba(0,0,0,.07)"}
          },
          y: {ticks: {autoSkip: false, callback: function (v) {
            // The task and, under it, whom it is for (the report's "detail" column: the
            // client, issue 21); Chart.js draws an array as lines.
            var label = shorten(this.getLabelForValue(v), narrow ? 14 : 34);
            var detail = bars[v] && bars[v].detail;
            return detail ? [label, shorten(detail, narrow ? 14 : 34)] : label;
          }, font: {size: narrow ? 10 : 11}}}
        },
        plugins: {
          legend: {
            position: "bottom",
            onClick: null,
            labels: {boxWidth: 12, generateLabels: function () {
              return [
                {text: texts.plan, fillStyle: COLORS.plan[0], strokeStyle: COLORS.plan[1], lineWidth: 1},
                {text: texts.progress, fillStyle: COLORS.plan[1], strokeStyle: COLORS.plan[1], lineWidth: 1},
                {text: texts.done, fillStyle: COLORS.done[1], strokeStyle: COLORS.done[1], lineWidth: 1},
                {text: texts.overdue, fillStyle: COLORS.overdue[1], strokeStyle: COLORS.overdue[1], lineWidth: 1},
                {text: texts.today, fillStyle: "rgba(0,0,0,0)", strokeStyle: "#dc3545", lineWidth: 2, lineDash: [5, 4]}
              ];
            }}
          },
          tooltip: {
            mode: "nearest", intersect: true,
            filter: function (item) { return item.datasetIndex === 1; },  // one line per bar
            callbacks: {
              title: function (items) {
                var b = bars[items[0].dataIndex];
                return b.detail ? b.label + " — " + b.detail : b.label;
              },
              label: function (ctx) {
                var b = bars[ctx.dataIndex];
                var line = b.start_text + " — " + b.end_text;
                return b.progress === null ? line : line + ", " + texts.progress + ": " + b.progress + "\u00a0%";
              }
            }
          }
        }
      },
      plugins: [today, drawn]
    };
  }

  // A Gantt chart's height follows its rows; a data attribute, since the page's CSP
  // allows no style attribute (issue 13).
  var box = canvas.closest(".uchet-chart-box");
  if (box && box.dataset.height) { box.style.height = box.dataset.height + "px"; }
  var config = data.kind === "gantt" ? ganttChart() : data.kind === "pie" ? pieChart() : seriesChart();
  new Chart(canvas, config);
}());
