// The filter of the "All questions" page (qbank/site/render.py, render_all_questions): shows
// the rows of the table that match the chosen topic, difficulty, tag and words. The state is
// kept in the address (?topic=masking&difficulty=hard), so a filtered list can be linked to.
// Without JavaScript the form stays hidden and the whole table shows.
document$.subscribe(({ body }) => {
  const form = body.querySelector("form.qb-filter")
  if (!form) return
  const fields = {}
  form.querySelectorAll("[data-filter]").forEach(el => { fields[el.dataset.filter] = el })
  const count = form.querySelector(".qb-filter-count")
  const rows = [...body.querySelectorAll(".qb-table tbody tr")].map(row => {
    const link = row.querySelector("a")
    return {
      row,
      topic: row.querySelector("[data-topic]")?.dataset.topic,
      difficulty: row.querySelector("[data-difficulty]")?.dataset.difficulty,
      tags: [...row.querySelectorAll("[data-tag]")].map(tag => tag.dataset.tag),
      words: `${link?.textContent || ""} ${link?.title || ""}`.toLowerCase(),
    }
  })

  const wanted = () => Object.fromEntries(Object.entries(fields).map(([k, el]) => [k, el.value.trim()]))
  function apply(remember) {
    const want = wanted()
    const words = want.words.toLowerCase().split(/\s+/).filter(Boolean)
    let shown = 0
    for (const r of rows) {
      const ok = (!want.topic || r.topic === want.topic)
        && (!want.difficulty || r.difficulty === want.difficulty)
        && (!want.tag || r.tags.includes(want.tag))
        && words.every(w => r.words.includes(w))
      r.row.hidden = !ok
      if (ok) shown += 1
    }
    count.textContent = `${shown} of ${rows.length} questions`
    if (remember) {
      const query = new URLSearchParams(Object.entries(want).filter(([, v]) => v)).toString()
      history.replaceState(null, "", location.pathname + (query ? `?${query}` : ""))
    }
  }

  const given = new URLSearchParams(location.search)
  for (const [k, el] of Object.entries(fields)) {
    const v = given.get(k)
    if (v && (el.tagName !== "SELECT" || [...el.options].some(o => o.value === v))) el.value = v
  }
  form.addEventListener("input", () => apply(true))
  form.addEventListener("change", () => apply(true))
  form.addEventListener("reset", () => setTimeout(() => apply(true)))
  form.addEventListener("submit", event => event.preventDefault())
  form.hidden = false
  apply(false)
})
