// Console des téléconseillers. Everything shown is set with textContent (never as HTML).
"use strict";
(function () {
  const API = "api";
  const $ = (id) => document.getElementById(id);
  let call = null;
  let fields = [];
  let timer = null;

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function say(message) { $("status").textContent = message; }
  function fail(message) { $("error").textContent = message || ""; }

  async function api(method, path, body) {
    const options = { method, credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let answer;
    try {
      answer = await fetch(API + path, options);
    } catch (error) {
      throw new Error("Le serveur ne répond pas. Vérifiez la connexion puis réessayez : rien n'est perdu.");
    }
    const isJson = (answer.headers.get("Content-Type") || "").includes("application/json");
    const data = isJson ? await answer.json() : await answer.text();
    if (answer.status === 401 && path !== "/login") {
      showLogin("Votre session a expiré : reconnectez-vous.");
    }
    if (!answer.ok) {
      const error = new Error((data && data.error) || "Erreur " + answer.status);
      error.data = data;
      throw error;
    }
    return data;
  }

  function showLogin(message) {
    stopTimer();
    $("desk").hidden = true;
    $("logout").hidden = true;
    $("who").hidden = true;
    $("login").hidden = false;
    fail(message || "");
    $("username").focus();
  }

  async function showDesk(adviser) {
    $("login").hidden = true;
    $("desk").hidden = false;
    $("logout").hidden = false;
    $("who").hidden = false;
    $("who").textContent = "Connecté·e : " + adviser.name;
    fail("");
    try {
      const meta = await api("GET", "/fields");
      fields = meta.fields;
      const outcome = $("outcome");
      outcome.replaceChildren(el("option", "— choisir —"));
      outcome.firstChild.value = "";
      for (const item of meta.outcomes) {
        const option = el("option", item.label);
        option.value = item.value;
        outcome.append(option);
      }
      const networks = await api("GET", "/networks");
      const select = $("search-network");
      select.replaceChildren();
      for (const network of networks.networks) {
        const option = el("option", network.name);
        option.value = network.code;
        select.append(option);
      }
    } catch (error) {
      fail(error.message);
    }
    $("new-call").focus();
  }

  // Timer -------------------------------------------------------------------------------
  function stopTimer() { if (timer) clearInterval(timer); timer = null; }
  function startTimer() {
    stopTimer();
    const started = Date.parse(call.started_at);
    const tick = () => {
      const end = call.ended_at ? Date.parse(call.ended_at) : Date.now();
      const seconds = Math.max(0, Math.round((end - started) / 1000));
      $("timer").textContent = Math.floor(seconds / 60) + " min " + String(seconds % 60).padStart(2, "0") + " s";
    };
    tick();
    if (!call.ended_at) timer = setInterval(tick, 1000);
  }

  // Rendering ---------------------------------------------------------------------------
  function render(data) {
    call = data;
    $("call").hidden = false;
    $("call-state").textContent = call.open ? "Appel en cours" : "Appel clos : " + call.outcome_label;
    for (const id of ["say-text", "say-button"]) $(id).disabled = !call.open;
    $("close-form").hidden = !call.open;
    renderSuggestion();
    renderTranscript();
    renderProfile();
    renderOrientation();
    $("consent").checked = call.consent;
    $("caller-name").value = call.caller_name;
    $("caller-contact").value = call.caller_contact;
    $("note").value = call.note;
    syncConsent();
    $("print-fiche").href = API + "/calls/" + call.id + "/fiche?format=html";
    $("download-fiche").href = API + "/calls/" + call.id + "/fiche?download=1";
    startTimer();
  }

  function renderSuggestion() {
    const box = $("suggestion");
    box.replaceChildren();
    const proposal = call.proposal;
    if (proposal) {
      // The recommended door first and biggest, worded for the adviser to say.
      box.append(el("p", proposal.propose, "propose"));
      for (const line of proposal.details) box.append(el("p", line, "details"));
      if (proposal.why) box.append(el("p", proposal.why, "why"));
      if (proposal.secondary) box.append(el("p", proposal.secondary, "secondary-option"));
    }
    if (!call.suggestion.length) {
      box.append(el("p", "Tapez les premiers mots de la personne : l'assistant proposera la question suivante."));
      return;
    }
    if (!proposal) {
      call.suggestion.forEach((turn, index) => {
        const last = index === call.suggestion.length - 1;
        box.append(el("p", turn.text, last ? "question" : ""));
        if (turn.options && turn.options.length) {
          box.append(el("p", "Réponses possibles :"));
          const list = el("ul");
          for (const option of turn.options) list.append(el("li", option));
          box.append(list);
        }
      });
      return;
    }
    box.append(el("p", "Ensuite : " + call.next_question, "next"));
    const said = el("details");
    said.append(el("summary", "Texte de l'assistant pour la personne"));
    for (const turn of call.suggestion) said.append(el("p", turn.text));
    box.append(said);
  }

  function renderTranscript() {
    const list = $("transcript");
    list.replaceChildren();
    for (const turn of call.transcript) list.append(el("li", turn.text, turn.who));
  }

  function renderProfile() {
    const list = $("profile");
    list.replaceChildren();
    const editable = new Map(fields.map((f) => [f.name, f]));
    for (const row of call.profile) {
      const term = el("dt", row.label);
      const value = el("dd");
      value.append(el("span", row.text, row.text === "non renseigné" ? "unknown" : ""));
      const spec = editable.get(row.name);
      if (spec && call.open) {
        const button = el("button", "Corriger", "secondary");
        button.type = "button";
        button.setAttribute("aria-label", "Corriger : " + row.label);
        button.addEventListener("click", () => editField(value, spec, row));
        value.append(button);
      }
      list.append(term, value);
    }
  }

  function editField(cell, spec, row) {
    const form = el("form");
    const id = "edit-" + spec.name;
    const label = el("label", "Nouvelle valeur : " + spec.label, "visually-hidden");
    label.htmlFor = id;
    let input;
    if (spec.kind === "choice" || spec.kind === "boolean") {
      input = el("select");
      const choices = spec.kind === "boolean"
        ? [{ value: "oui", label: "oui" }, { value: "non", label: "non" }]
        : spec.choices;
      input.append(el("option", "non renseigné"));
      input.firstChild.value = "";
      for (const choice of choices) {
        const option = el("option", choice.label);
        option.value = choice.value;
        if (String(choice.value) === String(row.value)) option.selected = true;
        input.append(option);
      }
    } else {
      input = el("input");
      input.value = row.value === null || row.value === undefined ? "" : row.value;
      if (spec.kind === "number") input.inputMode = "numeric";
    }
    input.id = id;
    const ok = el("button", "Valider");
    ok.type = "submit";
    const cancel = el("button", "Annuler", "secondary");
    cancel.type = "button";
    cancel.addEventListener("click", () => renderProfile());
    form.append(label, input, ok, cancel);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      ok.disabled = true;
      say("Correction en cours…");
      try {
        render(await api("POST", "/calls/" + call.id + "/profile", { field: spec.name, value: input.value }));
        fail("");
        say(spec.label + " corrigé.");
      } catch (error) {
        const choices = error.data && error.data.choices ? " " + error.data.choices.join(", ") : "";
        fail(error.message + choices);
        ok.disabled = false;
      }
    });
    cell.replaceChildren(form);
    input.focus();
  }

  function structureCard(structure, recommended, choosable) {
    const card = el("li", null, "card" + (recommended ? " recommended" : ""));
    card.append(el("h5", structure.name));
    if (structure.network) {
      const names = (call && call.network_names) || {};
      card.append(el("p", "Réseau : " + (names[structure.network] || structure.network)));
    }
    const address = [structure.address, structure.postcode, structure.commune].filter(Boolean).join(" ");
    if (address) card.append(el("p", address));
    if (structure.phone) card.append(el("p", "Téléphone : " + structure.phone));
    if (structure.age_notice) card.append(el("p", structure.age_notice, "age"));
    if (structure.hours) card.append(el("p", "Horaires : " + structure.hours));
    if (structure.open_now === true) card.append(el("p", "Ouvert maintenant", "open"));
    if (structure.open_now === false) card.append(el("p", "Fermé maintenant", "closed"));
    if (structure.distance_km !== null && structure.distance_km !== undefined) {
      card.append(el("p", "À " + String(structure.distance_km).replace(".", ",") + " km" +
        (structure.distance_approximate ? " (approximatif : centre de la commune)" : "")));
    }
    if (structure.why) card.append(el("p", "Pourquoi : " + structure.why));
    if (choosable && call && call.open) {
      const button = el("button", "Retenir pour la fiche", "secondary");
      button.type = "button";
      button.addEventListener("click", async () => {
        try {
          render(await api("POST", "/calls/" + call.id + "/structure", { structure_id: structure.id }));
          say(structure.name + " retenue pour la fiche.");
        } catch (error) { fail(error.message); }
      });
      card.append(button);
    }
    return card;
  }

  function renderOrientation() {
    const box = $("orientation");
    box.replaceChildren();
    const orientation = call.orientation;
    if (!orientation && !call.chosen_structure) {
      box.append(el("p", "Pas encore d'orientation."));
      return;
    }
    const list = el("ul", null, "cards");
    if (call.chosen_structure) {
      list.append(el("li", "Retenue par vous :"));
      list.append(structureCard(call.chosen_structure, true, false));
    }
    // The recommended network's structures, then the other network's as the second choice
    // (never by position: the recommended network may have no local record).
    const structures = (orientation && orientation.structures) || [];
    const isMain = (s) => typeof s.recommended === "boolean" ? s.recommended : s.network === orientation.network;
    const mains = structures.filter(isMain);
    const others = structures.filter((s) => !isMain(s));
    mains.forEach((structure, index) => {
      if (index === 1 || (index === 0 && call.chosen_structure)) {
        list.append(el("li", index === 0 ? "Proposée par l'assistant :" : "Autres possibilités :"));
      }
      list.append(structureCard(structure, !call.chosen_structure, true));
    });
    if (orientation && !mains.length) {
      list.append(el("li", "Pas de fiche locale du réseau proposé : voir « À distance »."));
    }
    if (others.length) list.append(el("li", "En second choix :"));
    others.forEach((structure) => list.append(structureCard(structure, false, true)));
    box.append(list);
    const remote = (orientation && orientation.remote) || [];
    if (remote.length) {
      box.append(el("h4", "À distance"));
      const items = el("ul");
      for (const option of remote) {
        items.append(el("li", [option.label, option.phone, option.url].filter(Boolean).join(" — ")));
      }
      box.append(items);
    }
  }

  function syncConsent() {
    const allowed = $("consent").checked;
    $("caller-name").disabled = !allowed;
    $("caller-contact").disabled = !allowed;
  }

  // Events ------------------------------------------------------------------------------
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const answer = await api("POST", "/login", { username: $("username").value, password: $("password").value });
      $("password").value = "";
      await showDesk(answer.adviser);
    } catch (error) {
      fail(error.message);
    }
  });

  $("logout").addEventListener("click", async () => {
    try { await api("POST", "/logout", {}); } catch (error) { /* signed out anyway */ }
    call = null;
    $("call").hidden = true;
    showLogin("Vous êtes déconnecté·e.");
  });

  $("new-call").addEventListener("click", async () => {
    if (call && call.open && !window.confirm("L'appel en cours n'est pas clos. Commencer un nouvel appel ?")) return;
    try {
      render(await api("POST", "/calls", {}));
      $("fiche").hidden = true;
      fail("");
      say("Nouvel appel commencé.");
      $("say-text").focus();
    } catch (error) { fail(error.message); }
  });

  $("say-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("say-text").value.trim();
    if (!text) { fail("Saisissez ce que dit la personne."); return; }
    $("say-button").disabled = true;
    say("L'assistant réfléchit…");
    try {
      render(await api("POST", "/calls/" + call.id + "/say", { text }));
      $("say-text").value = "";  // cleared only once the assistant has it
      fail("");
      say("Suggestion mise à jour.");
    } catch (error) {
      fail(error.message);
      say("");
    } finally {
      $("say-button").disabled = !call.open;
      $("say-text").focus();
    }
  });

  $("consent").addEventListener("change", syncConsent);

  $("caller-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      render(await api("POST", "/calls/" + call.id + "/caller", {
        consent: $("consent").checked, name: $("caller-name").value,
        contact: $("caller-contact").value, note: $("note").value,
      }));
      say("Informations de la fiche enregistrées.");
    } catch (error) { fail(error.message); }
  });

  async function loadFiche() {
    const text = await api("GET", "/calls/" + call.id + "/fiche");
    $("fiche").textContent = text;
    $("fiche").hidden = false;
    return text;
  }

  $("show-fiche").addEventListener("click", async () => {
    try { await loadFiche(); $("fiche").focus(); } catch (error) { fail(error.message); }
  });

  $("copy-fiche").addEventListener("click", async () => {
    try {
      const text = await loadFiche();
      await navigator.clipboard.writeText(text);
      say("Fiche copiée : collez-la dans votre message à la structure.");
    } catch (error) {
      say("Copie automatique impossible : sélectionnez le texte de la fiche et copiez-le.");
    }
  });

  $("search-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const results = $("search-results");
    results.replaceChildren();
    const query = "?network=" + encodeURIComponent($("search-network").value)
      + "&commune=" + encodeURIComponent($("search-commune").value);
    try {
      const answer = await api("GET", "/structures" + query);
      if (!answer.structures.length) results.append(el("li", "Aucune structure de ce réseau dans la base."));
      for (const structure of answer.structures) results.append(structureCard(structure, false, true));
      say(answer.structures.length + " structure(s) près de " + answer.commune.commune_name + ".");
      fail("");
    } catch (error) {
      const choices = error.data && error.data.choices ? " " + error.data.choices.join(", ") : "";
      fail(error.message + choices);
    }
  });

  $("close-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!$("outcome").value) { fail("Choisissez l'issue de l'appel."); return; }
    try {
      render(await api("POST", "/calls/" + call.id + "/close", { outcome: $("outcome").value }));
      fail("");
      say("Appel clos. La fiche reste disponible.");
      await loadFiche();
    } catch (error) { fail(error.message); }
  });

  // Start: signed in already (same tab, live session)?
  api("GET", "/me").then((answer) => showDesk(answer.adviser)).catch(() => showLogin(""));
})();
