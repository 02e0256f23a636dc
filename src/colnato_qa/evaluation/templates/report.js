// The evaluation report's script: sort the question table on a column's header (again: reversed)
// and filter it by words and by hits or failures. Offline, no library; rows keep their order among equals.
(function () {
  "use strict";
  var table = document.getElementById("questions");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var text = document.getElementById("filter-text");
  var result = document.getElementById("filter-result");
  var count = document.getElementById("filter-count");
  document.getElementById("table-controls").hidden = false;

  function filter() {
    var words = text.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row) {
      var haystack = row.textContent.toLowerCase();
      var ok = (result.value === "all" || row.getAttribute("data-result") === result.value) &&
               words.every(function (w) { return haystack.indexOf(w) !== -1; });
      row.hidden = !ok;
      if (ok) shown += 1;
    });
    count.textContent = shown + " of " + rows.length + " questions shown";
  }

  function key(row, index, numeric) {
    var cell = row.cells[index];
    var value = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
    if (!numeric) return value.toLowerCase();
    var number = parseFloat(value);
    return isNaN(number) ? Infinity : number;
  }

  function sortBy(th, index) {
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var numeric = th.getAttribute("data-type") === "number";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    rows.sort(function (a, b) {
      var x = key(a, index, numeric), y = key(b, index, numeric);
      var c = numeric ? (x === y ? 0 : (x > y ? 1 : -1)) : x.localeCompare(y, undefined, {numeric: true});
      return ascending ? c : -c;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
    var button = th.querySelector("button");
    if (button) button.addEventListener("click", function () { sortBy(th, index); });
  });
  text.addEventListener("input", filter);
  result.addEventListener("change", filter);
  filter();
})();
