/* Nothing typed is lost. A form marked data-warn-unsaved that names an autosave address
   (data-autosave, an editable draft) is saved there a few seconds after the last change, and
   at once before a step tab or another link is followed or another form (an evidence upload)
   is sent. The save is the form's own: the same fields, the same checks on the server, and
   the draft's version (lock_version), which each save moves and hands back. A refused value
   is named and marked, and nothing is saved; a save made elsewhere in the meantime stops
   autosaving with a way to reload, and what was typed stays on the page. The status line says
   which (aria-live). Only changes not yet saved make the browser ask before the page is left.
   Without scripts the form's Save button works as before. */
(function () {
  "use strict";
  var DELAY = 3000;   // after the last change
  var RETRY = 15000;  // after a failed connection
  var form = document.querySelector("form[data-warn-unsaved]");
  if (!form) return;
  var address = form.getAttribute("data-autosave");
  var status = document.getElementById("autosave-status");
  // What the draft holds, as far as this page knows: what the page shows, unless it shows
  // what was typed and refused by the form's Save (data-not-stored), which is not sent again
  // as it is, and asks before it is left; after a conflict only the button saves (it replaces
  // the other save, as the page says), never autosave.
  var notStored = form.hasAttribute("data-not-stored");
  var saved = notStored ? null : content();
  var refused = notStored ? content() : null;  // content the server refused
  var failed = refused;       // content of the last attempt that failed, for any reason
  var timer = null;
  var pending = null;         // the save under way
  var stopped = form.getAttribute("data-not-stored") === "conflict";  // never overwrite
  var leaving = false;        // the form itself is being sent

  /* The form's values as sent, without the version and the token (they move on their own). */
  function content() {
    var parts = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "lock_version" && name !== "csrf_token") parts.push(name + "=" + value);
    });
    return parts.join("&");
  }
  function dirty() { return content() !== saved; }
  function mark() {
    if (dirty()) form.setAttribute("data-dirty", "true");
    else form.removeAttribute("data-dirty");
  }

  function text(key, values) {
    var out = status ? status.getAttribute("data-" + key) || "" : "";
    Object.keys(values || {}).forEach(function (k) { out = out.replace("{" + k + "}", values[k]); });
    return out;
  }
  function show(message, state, reload) {
    if (!status) return;
    status.hidden = false;
    status.setAttribute("data-state", state);
    status.textContent = message;
    if (reload) {
      status.appendChild(document.createTextNode(" "));
      var link = document.createElement("a");
      link.href = reload;
      link.textContent = text("reload");
      link.setAttribute("data-reload", "");
      status.appendChild(link);
    }
  }
  function now() {
    var lang = document.documentElement.lang || undefined;
    return new Date().toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
  }

  function clearMarks() {
    Array.prototype.forEach.call(form.querySelectorAll("[data-autosave-invalid]"), function (el) {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("data-autosave-invalid");
    });
  }
  function markProblems(problems) {
    clearMarks();
    problems.forEach(function (p) {
      var field = p.field && document.getElementById(p.field);
      if (field && form.contains(field)) {
        field.setAttribute("aria-invalid", "true");
        field.setAttribute("data-autosave-invalid", "");
      }
    });
  }

  function answered(sent, response) {
    var json = (response.headers.get("Content-Type") || "").indexOf("json") >= 0;
    if (response.type === "opaqueredirect" || !json) {
      refused = failed = sent;
      show(text("not-saved", { reason: text("expired") }), "error");
      return false;
    }
    return response.json().then(function (body) {
      if (response.ok) {
        form.querySelector("input[name=lock_version]").value = body.lock_version;
        saved = sent;
        refused = failed = null;
        clearMarks();
        var line = text("saved", { time: now() });
        show([line].concat(body.warnings || []).join(" · "), "saved");
        return true;
      }
      refused = failed = sent;
      if (response.status === 409) {
        stopped = true;
        show(body.message + " " + text("kept"), "error", body.reload);
        return false;
      }
      var problems = body.problems || [];
      markProblems(problems);
      var reasons = problems.map(function (p) { return p.message; });
      show(text("not-saved", { reason: reasons.join("; ") || body.message }), "error");
      return false;
    });
  }

  /* Saves what is typed (after any save under way); true once nothing is left unsaved. */
  function save() {
    clearTimeout(timer);
    if (pending) return pending.then(save);
    if (!address || stopped || !dirty() || content() === refused) return Promise.resolve(!dirty());
    var sent = content();
    var body = new URLSearchParams(new FormData(form));
    show(text("saving"), "saving");
    pending = fetch(address, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      redirect: "manual",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      return answered(sent, response);
    }, function () {
      failed = sent;
      show(text("not-saved", { reason: text("offline") }), "error");
      timer = setTimeout(save, RETRY);
      return false;
    }).then(function (ok) {
      pending = null;
      mark();
      if (ok && dirty()) schedule();  // typed on while it was saved
      return ok && !dirty();
    });
    return pending;
  }
  function schedule() {
    clearTimeout(timer);
    if (address && !stopped) timer = setTimeout(save, DELAY);
  }

  /* Before the page is left: save first; if that fails the status says why and the person
     stays. Leaving again with the same content goes on (the browser then asks). */
  function thenLeave(event, go) {
    if (!address || stopped || !dirty() || content() === failed) return;
    event.preventDefault();
    save().then(function (ok) { if (ok) go(); });
  }

  function edited(event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-no-dirty")) return;
    mark();
    if (dirty()) schedule();
  }
  form.addEventListener("input", edited);
  form.addEventListener("change", edited);

  form.addEventListener("submit", function (event) {
    if (pending) {  // let the save under way move the version first, then send the form
      event.preventDefault();
      var submitter = event.submitter;
      pending.then(function () { form.requestSubmit(submitter || undefined); });
      return;
    }
    clearTimeout(timer);
    leaving = true;
  });
  document.addEventListener("submit", function (event) {
    var other = event.target;
    if (other === form || event.defaultPrevented) return;
    if (other.hasAttribute("data-after-save")) { other.removeAttribute("data-after-save"); return; }
    var submitter = event.submitter;
    thenLeave(event, function () {
      other.setAttribute("data-after-save", "");
      other.requestSubmit(submitter || undefined);
    });
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href]") : null;
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    if (link.target || link.origin !== location.origin || link.hasAttribute("data-reload")) return;
    if (link.getAttribute("href").charAt(0) === "#") return;
    thenLeave(event, function () { location.assign(link.href); });
  });
  window.addEventListener("beforeunload", function (event) {
    if (leaving || !dirty()) return;
    event.preventDefault();
    event.returnValue = "";  // older browsers need a value to ask
  });
  if (address && !notStored) show(text("intro"), "idle");
})();
