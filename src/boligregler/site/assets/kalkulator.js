// «Hva kan vi låne?»: the calculator on a kommune page. The answer is computed in a web worker
// by the boligregler library itself (Python in Pyodide, served from this site); nothing typed
// here is sent anywhere. Loaded on every page; does nothing where there is no calculator.
// The page's own words, in the policy's målform (the answer itself comes in it from the library).
const WORDS = {
  "bokmål": {
    loading: "Kalkulatoren gjøres klar …", ready: "Kalkulatoren er klar.",
    error: "Kalkulatoren kunne ikke regne ut svaret. Prøv igjen, eller last inn siden på nytt.",
    broken: "Kalkulatoren kunne ikke lastes. Last inn siden på nytt, eller prøv igjen senere.",
    unsupported: "Kalkulatoren kunne ikke lastes i denne nettleseren.", working: "Regner …",
    queued: "Regner så snart kalkulatoren er klar …", shown: "Svaret står under skjemaet.",
    fix: "Noe i skjemaet må rettes.", emptied: "Skjemaet er tømt.",
  },
  "nynorsk": {
    loading: "Kalkulatoren blir gjord klar …", ready: "Kalkulatoren er klar.",
    error: "Kalkulatoren kunne ikkje rekne ut svaret. Prøv igjen, eller last inn sida på nytt.",
    broken: "Kalkulatoren kunne ikkje lastast. Last inn sida på nytt, eller prøv igjen seinare.",
    unsupported: "Kalkulatoren kunne ikkje lastast i denne nettlesaren.", working: "Reknar …",
    queued: "Reknar så snart kalkulatoren er klar …", shown: "Svaret står under skjemaet.",
    fix: "Noko i skjemaet må rettast.", emptied: "Skjemaet er tømt.",
  },
};

const form = document.getElementById("kalkulator");
if (form) start(form);


function start(form) {
  const say = WORDS[form.dataset.malform] || WORDS["bokmål"];
  const status = form.querySelector(".kalk-status");
  const result = document.getElementById("kalk-svar");
  const policy = form.dataset.policy;
  // The engine, started from the page's head (kalkulator-start.js) or, without it, here.
  const started = window.boligreglerMotor && window.boligreglerMotor.policy === policy ? window.boligreglerMotor : null;
  let worker;
  try {
    worker = started ? started.worker : new Worker(new URL("kalkulator-worker.js", import.meta.url), { type: "module" });
  } catch (error) {
    status.textContent = say.unsupported;
    return;
  }
  const versjon = document.querySelector("script[data-versjon]")?.dataset.versjon;
  if (!started) window.boligreglerMotor = { worker, early: [], policy };  // one engine: kalkulator-start.js, if late, stops
  let ready = false, waiting = null, asked = 0;
  window.boligreglerKalkulator = { ready: false, answers: 0 };

  status.textContent = say.loading;
  if (!started) worker.postMessage({ kind: "last", policy, versjon });
  worker.onmessage = ({ data }) => {
    if (data.kind === "klar") {
      ready = true;
      window.boligreglerKalkulator.ready = true;
      window.boligreglerKalkulator.timings = data.timings;
      status.textContent = say.ready;
      if (waiting) { worker.postMessage(waiting); waiting = null; }
    } else if (data.kind === "svar") {
      if (data.id !== asked) return;  // an older answer: the form has been sent again since
      show(data);
    } else if (data.kind === "feil") {
      // the reader gets a sentence in the page's målform; the technical message is for developers
      status.textContent = data.fase === "last" ? say.broken : say.error;
      window.boligreglerKalkulator.error = data.melding;
      console.error("boligregler-kalkulator:", data.melding);
    }
  };
  worker.onerror = (event) => {
    status.textContent = say.unsupported;
    window.boligreglerKalkulator.error = String(event.message || event);
  };
  for (const event of started ? started.early.splice(0) : []) {
    if (event.type === "error") worker.onerror(event); else worker.onmessage(event);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const pairs = [...new FormData(form).entries()].map(([k, v]) => [k, String(v)]);
    const message = { kind: "regn", id: ++asked, policy, versjon, pairs, today: localDate() };
    status.textContent = ready ? say.working : say.queued;
    if (ready) worker.postMessage(message); else waiting = message;
  });

  function show(data) {
    for (const field of form.querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
    for (const span of form.querySelectorAll(".kalk-feilmelding")) span.textContent = "";
    for (const [id, text] of data.problems) {
      const control = document.getElementById(id);
      const span = document.getElementById(id + "-feil");
      if (control) control.setAttribute("aria-invalid", "true");
      if (span) span.textContent = text;
    }
    result.innerHTML = data.html;  // built and escaped by boligregler.site.estimate
    status.textContent = data.utfall ? say.shown : say.fix;
    window.boligreglerKalkulator.answers += 1;
    window.boligreglerKalkulator.utfall = data.utfall;
    const heading = result.querySelector("h3");
    if (heading) heading.focus();
  }

  // Lists: add and remove lines; the new line's first field gets the focus.
  const resets = [];
  for (const list of form.querySelectorAll(".kalk-liste")) {
    const rows = list.querySelector(".kalk-rader");
    const template = list.querySelector("template");
    const add = list.querySelector(".kalk-legg-til");
    const initial = rows.children.length;
    let next = initial;
    resets.push(() => {
      while (rows.children.length > initial) rows.lastElementChild.remove();
      next = initial;
    });
    add.addEventListener("click", () => {
      const index = next++;
      const html = template.innerHTML.replaceAll("__i__", String(index))
        .replaceAll("__n__", String(rows.children.length + 1));
      rows.insertAdjacentHTML("beforeend", html);
      rows.lastElementChild.querySelector("input, select").focus();
      wire(rows.lastElementChild);
    });
    for (const row of rows.children) wire(row);
    function wire(row) {
      row.querySelector(".kalk-fjern").addEventListener("click", () => {
        if (rows.children.length <= Number(list.dataset.min)) return;
        row.remove();
        add.focus();
      });
    }
  }

  // Fields asked only for some answers (the price only for a purchase, say).
  const shown = [...form.querySelectorAll("[data-vis-felt]")];
  const update = () => {
    for (const el of shown) {
      const control = form.elements[el.dataset.visFelt];
      const on = control && el.dataset.visVerdier.split(" ").includes(control.value);
      el.hidden = !on;
      for (const input of el.querySelectorAll("input, select")) input.disabled = !on;
    }
  };
  form.addEventListener("change", update);
  update();

  // «Tøm skjemaet»: the fields as the page came, no lines added, no answer.
  form.addEventListener("reset", () => setTimeout(() => {
    for (const reset of resets) reset();
    for (const field of form.querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
    for (const span of form.querySelectorAll(".kalk-feilmelding")) span.textContent = "";
    result.innerHTML = "";
    status.textContent = say.emptied;
    update();
  }));
}

function localDate() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
