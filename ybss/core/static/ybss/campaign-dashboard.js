// Draws the campaign dashboard's charts from the JSON the page carries; the tables work without it.
(function () {
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  if (typeof echarts === "undefined") return;
  var pct = function (v) { return v === null || v === undefined ? null : Math.round(v * 1000) / 10; };
  var areas = echarts.init(document.getElementById("chart-areas"));
  areas.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 10, bottom: 60 },
    xAxis: { type: "category", data: data.labels, axisLabel: { rotate: 30 } },
    yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
    series: [
      { name: data.names.collection, type: "bar", data: data.collection.map(pct),
        markLine: { symbol: "none", data: [{ yAxis: pct(data.target_collection), name: data.names.target }] } },
      { name: data.names.accuracy, type: "bar", data: data.accuracy.map(pct) }
    ]
  });
  var trend = echarts.init(document.getElementById("chart-trend"));
  trend.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 40, bottom: 40 },
    xAxis: { type: "category", data: data.trend.map(function (d) { return d.day; }) },
    yAxis: [
      { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      { type: "value", minInterval: 1 }
    ],
    series: [
      { name: data.names.collection, type: "line", data: data.trend.map(function (d) { return pct(d.rate); }),
        markLine: { symbol: "none", data: [{ yAxis: pct(data.target_collection) }] } },
      { name: data.names.daily, type: "bar", yAxisIndex: 1, data: data.trend.map(function (d) { return d.collected; }) }
    ]
  });
  window.addEventListener("resize", function () { areas.resize(); trend.resize(); });
  document.body.setAttribute("data-charts", "ready");
})();
