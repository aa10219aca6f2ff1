// The digital cockpit (数字驾驶舱): draws the trend, the comparison and the district map with the vendored ECharts
// from the JSON of indicators:cockpit_data. A static file, not an inline script, so that the Content-Security-Policy
// can forbid inline script; the template hands over the data URL and the translated words as data-* attributes.
(function () {
  const form = document.getElementById("filters");
  if (!form || !form.dataset.source) return;
  const text = form.dataset;  // translated words the template put on the form (data-compare, data-map, …)
  const trend = echarts.init(document.getElementById("trend"));
  const comparison = echarts.init(document.getElementById("comparison"));
  const mapBox = document.getElementById("map");
  const map = mapBox ? echarts.init(mapBox) : null;
  const font = {fontFamily: "Noto Sans CJK SC, sans-serif"};
  let data = null;
  let mapReady = null;
  if (map) {  // the vendored boundaries of the 16 districts, registered once
    mapReady = fetch(mapBox.dataset.geojson).then(r => r.json()).then(geo => echarts.registerMap("shanghai", geo));
  }
  function go(url) { if (url) window.location.href = url; }
  comparison.on("click", p => go(data && data.comparison.links[p.dataIndex]));
  if (map) map.on("click", p => go(p.data && p.data.url));
  function drawComparison(label) {
    const c = data.comparison;
    const lying = c.orientation === "horizontal";
    const names = {type: "category", data: c.names, inverse: lying, axisLabel: {interval: 0, width: 150, overflow: "truncate"}};
    const values = {type: "value"};  // bars start at 0, or their lengths would lie
    const bars = c.values.map((v, i) => ({value: v, itemStyle: c.levels[i] === "other" ? {color: "#aaa"} : undefined,
      cursor: c.links[i] ? "pointer" : "default"}));
    comparison.setOption({textStyle: font, title: {text: label + " " + text.compare, textStyle: {fontSize: 14}},
      tooltip: {trigger: "axis", formatter: ps => {
        const i = ps[0].dataIndex;
        const more = c.levels[i] === "other" && c.other ? "<br>" + c.other.names.join("、") : "";
        return c.names[i] + "：" + (c.values[i] === null ? "—" : c.values[i]) + more;
      }},
      grid: lying ? {left: 160, right: 50} : {left: 50, bottom: 60},
      xAxis: lying ? values : {...names, axisLabel: {interval: 0, rotate: c.names.length > 8 ? 30 : 0}},
      yAxis: lying ? names : values,
      series: [{type: "bar", data: bars, label: {show: true, position: lying ? "right" : "top"}}]}, true);
  }
  async function drawMap(label) {
    await mapReady;
    const known = data.map.values.map(v => v.value).filter(v => v !== null);
    const low = known.length ? Math.min(...known) : 0;
    const high = known.length ? Math.max(...known) : 1;
    map.setOption({textStyle: font, title: {text: label + " " + text.map, textStyle: {fontSize: 14}},
      tooltip: {trigger: "item", formatter: p => p.name + "：" + (p.data && !isNaN(p.data.value) ? p.data.value : "—")},
      visualMap: {min: high > low ? low : Math.min(0, low), max: high > low ? high : Math.max(low, 1),
        calculable: true, left: "left", bottom: 10, inRange: {color: ["#e0f3f8", "#4575b4"]}},
      series: [{type: "map", map: "shanghai", roam: true, label: {show: true, fontSize: 10}, labelLayout: {hideOverlap: true},
        data: data.map.values.map(v => ({name: v.name, value: v.value === null ? NaN : v.value, url: v.url}))}]}, true);
  }
  async function refresh() {
    const params = new URLSearchParams(new FormData(form));
    const response = await fetch(form.dataset.source + "?" + params.toString());
    if (!response.ok) return;
    data = await response.json();
    const label = data.indicator.name + (data.indicator.unit ? "（" + data.indicator.unit + "）" : "");
    document.getElementById("summary").textContent = data.scope + " · " + data.comparison.period + " · " + data.schools + " " + text.schools;
    trend.setOption({textStyle: font, title: {text: label + " " + text.trend, textStyle: {fontSize: 14}}, tooltip: {trigger: "axis"},
      xAxis: {type: "category", data: data.trend.periods}, yAxis: {type: "value", scale: true},
      series: [{type: "line", data: data.trend.values, label: {show: true}, smooth: false}]}, true);
    drawComparison(label);
    if (map && data.map) await drawMap(label);
    window.dudaoDashboard = data;  // for tests and the curious
  }
  form.addEventListener("change", refresh);
  refresh();
})();
