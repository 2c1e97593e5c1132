// The portal's few behaviours, kept out of the pages so that the Content-Security-Policy can
// forbid inline scripts. Listeners sit on the document: rows HTMX swaps in are covered too.
document.addEventListener("click", (event) => {
  const all = event.target.closest("input[data-select-all]");
  if (!all || !all.form) return;
  const name = all.dataset.selectAll;
  for (const box of all.form.querySelectorAll(`input[name="${name}"]`)) box.checked = all.checked;
});
