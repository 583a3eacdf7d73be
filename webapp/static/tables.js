// On the pages with wide tables (wards, hotspots, tasking): a phone's "Swipe the table
// sideways" hint only where the table is wider than its frame. The frame gets the class "fits"
// when it holds the whole table (without this script the hint always shows).
(function () {
  "use strict";
  function mark() {
    document.querySelectorAll(".table-scroll.wide").forEach(function (frame) {
      frame.classList.toggle("fits", frame.scrollWidth <= frame.clientWidth + 1);
    });
  }
  document.addEventListener("DOMContentLoaded", mark);
  window.addEventListener("resize", mark);
})();
