// Expand and collapse the goal tree. Children that are not yet loaded arrive through htmx on the first click.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-tree-toggle]");
  if (!button) return;
  var list = document.getElementById(button.getAttribute("aria-controls"));
  var expanded = button.getAttribute("aria-expanded") === "true";
  button.setAttribute("aria-expanded", expanded ? "false" : "true");
  if (list) list.hidden = expanded;
});
