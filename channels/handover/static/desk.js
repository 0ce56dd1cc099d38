/*
 * The chat desk in the advisers' console: availability, queue, the conversation taken,
 * call-back requests. Served at /webhooks/console/desk/static/desk.js; talks only to
 * /webhooks/console/desk/api (the console's session cookie). Texts are set with
 * textContent only: nothing from the public is ever read as HTML.
 */
(function () {
  "use strict";

  const API = "desk/api";
  const REFRESH_MS = 3000;
  const $ = (id) => document.getElementById(id);
  let current = null;       // the conversation shown
  let events = null;        // its EventSource
  let lastId = 0;
  let desk = null;          // last /state
  let timer = null;
  let seen = null;          // ids of the people already counted as waiting
  const TITLE = document.title;
  const CHOOSE = "— Choisir —";

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }
  function say(message) { $("chat-status").textContent = message; }
  function fail(message) { $("chat-error").textContent = message || ""; }

  async function api(method, path, body) {
    const options = { method, headers: {}, credentials: "same-origin" };
    if (method !== "GET") {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body || {});
    }
    const response = await fetch(API + path, options);
    const type = response.headers.get("content-type") || "";
    const data = type.includes("json") ? await response.json() : await response.text();
    if (!response.ok) {
      const error = new Error((data && data.error) || "Erreur " + response.status);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  function minutesSince(iso) {
    const minutes = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60000));
    return minutes < 1 ? "moins d'une minute" : minutes + " min";
  }

  // State: availability, queue, call-backs -------------------------------------------
  async function refresh() {
    try {
      desk = await api("GET", "/state");
    } catch (error) {
      if (error.status === 401) { $("chatdesk").hidden = true; $("chat-alert").hidden = true; return; }
      fail(error.message);
      return;
    }
    $("chatdesk").hidden = false;
    renderAlert();
    renderAvailability();
    renderQueue();
    renderCallbacks();
  }

  // Nobody waits unseen: a bar above the call view, the tab's title, a spoken notice, a sound.
  function renderAlert() {
    const waiting = desk.queue.filter((item) => item.status === "waiting");
    const people = waiting.length === 0 ? "personne n'attend"
      : waiting.length === 1 ? "1 personne attend" : waiting.length + " personnes attendent";
    const calls = desk.callbacks.length === 0 ? "aucune demande de rappel"
      : desk.callbacks.length === 1 ? "1 demande de rappel" : desk.callbacks.length + " demandes de rappel";
    $("chat-alert").hidden = false;
    $("chat-alert").classList.toggle("on", waiting.length > 0);
    $("chat-alert-text").textContent = "Tchat : " + people + " — " + calls;
    document.title = (waiting.length ? "(" + waiting.length + ") " : "") + TITLE;
    const arrived = seen === null ? [] : waiting.filter((item) => !seen.has(item.id));
    seen = new Set(waiting.map((item) => item.id));
    if (!arrived.length) return;
    $("chat-announce").textContent = arrived.length === 1
      ? "Une nouvelle personne attend dans le tchat (" + arrived[0].need + ")."
      : arrived.length + " nouvelles personnes attendent dans le tchat.";
    if ($("chat-sound").checked) beep();
  }

  function beep() {
    try {
      const audio = new (window.AudioContext || window.webkitAudioContext)();
      const tone = audio.createOscillator();
      const volume = audio.createGain();
      tone.frequency.value = 880;
      volume.gain.value = 0.2;
      tone.connect(volume).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.3);
      tone.onended = () => audio.close();
    } catch (error) { /* no sound on this computer: the bar and the title still say it */ }
  }

  function choices(select, outcomes) {
    const none = el("option", CHOOSE);
    none.value = "";
    select.append(none);
    for (const outcome of outcomes) {
      const option = el("option", outcome.label);
      option.value = outcome.value;
      select.append(option);
    }
  }

  function renderAvailability() {
    const me = desk.me;
    const toggle = $("chat-available");
    toggle.setAttribute("aria-pressed", me.available ? "true" : "false");
    toggle.textContent = me.available ? "Disponible pour le tchat" : "En pause";
    toggle.className = me.available ? "toggle on" : "toggle";
    $("chat-capacity").value = String(me.capacity);
    const line = desk.line;
    const open = line.open_now === true ? "ouverte" : line.open_now === false ? "fermée"
      : "horaires non connus";
    $("chat-line").textContent = "Ligne : " + open + (line.hours ? " (" + line.hours + ")" : "") +
      " — " + line.advisers + " conseiller(s) ou conseillère(s) disponible(s).";
  }

  function renderQueue() {
    const list = $("chat-queue");
    list.replaceChildren();
    $("chat-queue-title").textContent = "File d'attente du tchat (" +
      desk.queue.filter((item) => item.status === "waiting").length + ")";
    if (!desk.queue.length) { list.append(el("li", "Personne n'attend.")); return; }
    for (const item of desk.queue) {
      const row = el("li", null, "queue-item");
      row.append(el("p", item.status_label + " — depuis " + minutesSince(item.created_at) +
        " — " + item.channel));
      row.append(el("p", "Besoin : " + item.need + " ; public : " + item.public));
      const open = el("button", item.status === "waiting" ? "Prendre" : "Ouvrir");
      open.type = "button";
      open.setAttribute("aria-label", (item.status === "waiting" ? "Prendre" : "Ouvrir") +
        " la conversation : " + item.need);
      open.addEventListener("click", () => (item.status === "waiting" ? take(item.id) : show(item.id)));
      row.append(open);
      list.append(row);
    }
  }

  function renderCallbacks() {
    const list = $("chat-callbacks");
    list.replaceChildren();
    $("chat-callbacks-title").textContent = "Demandes de rappel (" + desk.callbacks.length + ")";
    if (!desk.callbacks.length) { list.append(el("li", "Aucune demande de rappel.")); return; }
    desk.callbacks.forEach((item, index) => {
      const row = el("li", null, "callback-item");
      row.append(el("p", "Demandée il y a " + minutesSince(item.created_at) + " — " + item.slot));
      row.append(el("p", item.contact_kind + " : " + item.contact, "contact"));
      if (item.note) row.append(el("p", "Message : « " + item.note + " »"));
      const need = item.profile.find((line) => line.label === "Besoin");
      if (need) row.append(el("p", "Besoin : " + need.text));
      if (item.proposal) row.append(el("p", item.proposal.propose));
      const form = el("form", null, "inline");
      const id = "cb-outcome-" + index;
      const label = el("label", "Issue du rappel");
      label.htmlFor = id;
      const select = el("select");
      select.id = id;
      select.required = true;
      choices(select, desk.callback_outcomes);
      form.noValidate = true;
      const done = el("button", "Marquer comme traitée");
      done.type = "submit";
      form.append(label, select, done);
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        if (!select.value) { fail("Choisissez l'issue du rappel."); select.focus(); return; }
        try {
          await api("POST", "/callbacks/" + item.id + "/close", { outcome: select.value });
          fail("");
          say("Demande de rappel close.");
          refresh();
        } catch (error) { fail(error.message); }
      });
      row.append(form);
      list.append(row);
    });
  }

  // One conversation ------------------------------------------------------------------
  async function take(id) {
    try {
      render(await api("POST", "/conversations/" + id + "/take"));
      fail("");
      say("Conversation prise : la personne voit vos messages avec votre prénom.");
      $("chat-say-text").focus();
      refresh();
    } catch (error) { fail(error.message); refresh(); }
  }

  async function show(id) {
    try { render(await api("GET", "/conversations/" + id)); fail(""); }
    catch (error) { fail(error.message); }
  }

  function render(conversation) {
    current = conversation;
    $("chat-conversation").hidden = false;
    $("chat-conversation-state").textContent = conversation.status_label + " — " + conversation.channel;
    const aid = $("chat-aid");
    aid.replaceChildren();
    if (conversation.proposal) {
      aid.append(el("p", conversation.proposal.propose, "propose"));
      for (const line of conversation.proposal.details) aid.append(el("p", line, "details"));
      if (conversation.proposal.why) aid.append(el("p", conversation.proposal.why, "why"));
      if (conversation.proposal.secondary) aid.append(el("p", conversation.proposal.secondary, "secondary"));
    }
    aid.append(el("p", "Question suivante : " + conversation.next_question, "next"));
    const profile = $("chat-profile");
    profile.replaceChildren();
    for (const row of conversation.profile) {
      profile.append(el("dt", row.label), el("dd", row.text, row.text === "non renseigné" ? "unknown" : ""));
    }
    const before = $("chat-transcript");
    before.replaceChildren();
    for (const turn of conversation.transcript) {
      before.append(el("li", (turn.who === "person" ? "Personne : " : "Assistant : ") + turn.text, "m-" + turn.who));
    }
    const list = $("chat-messages");
    list.replaceChildren();
    lastId = 0;
    for (const message of conversation.messages) addMessage(message);
    const mine = conversation.mine;
    for (const id of ["chat-say-text", "chat-say-button", "chat-hand-back", "chat-close-button",
      "chat-outcome", "chat-fiche-button"]) $(id).disabled = !mine;
    $("chat-take").hidden = conversation.status !== "waiting";
    $("chat-fiche-print").hidden = !mine;
    $("chat-fiche-print").href = API + "/conversations/" + conversation.id + "/fiche?format=html";
    follow(conversation.id, conversation.status === "waiting" || mine);
  }

  function addMessage(message) {
    if (message.id <= lastId) return;
    lastId = message.id;
    const who = message.who === "person" ? "Personne : "
      : message.who === "adviser" ? message.name + " (vous) : " : "";
    $("chat-messages").append(el("li", who + message.text, "m-" + message.who));
  }

  function follow(id, live) {
    if (events) { events.close(); events = null; }
    if (!live) return;
    events = new EventSource(API + "/conversations/" + id + "/events?after=" + lastId);
    events.addEventListener("message", (event) => addMessage(JSON.parse(event.data)));
    events.addEventListener("state", (event) => {
      const state = JSON.parse(event.data);
      if (current && state.status !== current.status) { show(current.id); refresh(); }
    });
  }

  function end(message) {
    if (events) { events.close(); events = null; }
    $("chat-conversation").hidden = true;
    current = null;
    say(message);
    refresh();
    $("chat-queue-title").focus();
  }

  // Events ----------------------------------------------------------------------------
  function wire() {
    $("chat-available").addEventListener("click", async () => {
      try {
        const available = !(desk && desk.me.available);
        await api("POST", "/availability", { available, capacity: Number($("chat-capacity").value) });
        say(available ? "Vous êtes disponible pour le tchat." : "Vous êtes en pause.");
        refresh();
      } catch (error) { fail(error.message); }
    });
    $("chat-capacity").addEventListener("change", async () => {
      try {
        await api("POST", "/availability", { available: !!(desk && desk.me.available),
          capacity: Number($("chat-capacity").value) });
        say("Nombre de conversations à la fois : " + $("chat-capacity").value + ".");
        refresh();
      } catch (error) { fail(error.message); }
    });
    $("chat-take").addEventListener("click", () => current && take(current.id));
    $("chat-say").addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = $("chat-say-text").value.trim();
      if (!text || !current) return;
      try {
        addMessage(await api("POST", "/conversations/" + current.id + "/say", { text }));
        $("chat-say-text").value = "";
        fail("");
      } catch (error) { fail(error.message); }
    });
    $("chat-hand-back").addEventListener("click", async () => {
      try {
        await api("POST", "/conversations/" + current.id + "/hand-back");
        end("Conversation rendue à l'assistant.");
      } catch (error) { fail(error.message); }
    });
    $("chat-close").addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!$("chat-outcome").value) {
        fail("Choisissez l'issue de la conversation.");
        $("chat-outcome").focus();
        return;
      }
      try {
        await api("POST", "/conversations/" + current.id + "/close", { outcome: $("chat-outcome").value });
        end("Conversation close.");
      } catch (error) { fail(error.message); }
    });
    $("chat-fiche-button").addEventListener("click", async () => {
      try {
        const fiche = $("chat-fiche");
        fiche.textContent = await api("GET", "/conversations/" + current.id + "/fiche");
        fiche.hidden = false;
        fiche.focus();
      } catch (error) { fail(error.message); }
    });
  }

  function fillOutcomes() {
    if (!desk || $("chat-outcome").options.length) return;
    choices($("chat-outcome"), desk.outcomes);
  }

  async function loop() {
    await refresh();
    fillOutcomes();
  }

  function start() {
    if (!$("chatdesk")) return;
    $("chat-sound").checked = localStorage.getItem("spro-desk-sound") === "on";
    $("chat-sound").addEventListener("change", () => {
      localStorage.setItem("spro-desk-sound", $("chat-sound").checked ? "on" : "off");
      if ($("chat-sound").checked) beep();  // the adviser hears what it will sound like
    });
    wire();
    loop();
    timer = setInterval(loop, REFRESH_MS);
    window.addEventListener("pagehide", () => { if (timer) clearInterval(timer); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
}());
