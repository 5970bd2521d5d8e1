// Draws the statistics dashboard's charts from the JSON the page carries; the tables work without it.
// Hidden small counts arrive as null and are left out of the charts.
(function () {
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  if (typeof echarts === "undefined") return;
  var charts = [];
  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) return;
    var chart = echarts.init(el);
    option.animation = false;
    chart.setOption(option);
    charts.push(chart);
  }
  if (data.pie) {
    draw("chart-pie", {
      tooltip: { trigger: "item" },
      legend: { bottom: 0, type: "scroll" },
      series: [{ type: "pie", radius: ["35%", "65%"], data: data.pie.filter(function (d) { return d.value; }) }]
    });
  }
  if (data.ages) {
    draw("chart-ages", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 60, right: 20, bottom: 20, top: 30 },
      xAxis: { type: "value", axisLabel: { formatter: function (v) { return Math.abs(v); } } },
      yAxis: { type: "category", data: data.ages.labels },
      series: [
        { name: data.ages.names.male, type: "bar", stack: "a", data: data.ages.male.map(function (v) { return v === null ? null : -v; }) },
        { name: data.ages.names.female, type: "bar", stack: "a", data: data.ages.female }
      ]
    });
  }
  if (data.months) {
    draw("chart-months", {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 50, right: 20, bottom: 30 },
      xAxis: { type: "category", data: data.months.labels },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: data.months.names["in"], type: "bar", data: data.months["in"] },
        { name: data.months.names.out, type: "bar", data: data.months.out }
      ]
    });
  }
  if (data.areas && data.areas.labels.length) {
    draw("chart-areas", {
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 50, right: 10, bottom: 70, top: 40 },
      xAxis: { type: "category", data: data.areas.labels, axisLabel: { rotate: 30 } },
      yAxis: { type: "value", minInterval: 1 },
      series: data.areas.series.slice(0, 4).map(function (s) { return { name: s.name, type: "bar", data: s.data }; })
    });
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  document.body.setAttribute("data-charts", "ready");
})();
