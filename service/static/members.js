// The members' page: sign with your own wallet (EIP-1193 window.ethereum) and send the
// signature. The server hands out the EIP-712 typed data to sign and checks what comes back;
// no key leaves the wallet. Every text is set with textContent, never as HTML.

const wallet = () => {
  if (!window.ethereum) throw new Error("no wallet found: install one (an EIP-1193 provider)");
  return window.ethereum;
};

let account = null;

async function connect() {
  const [first] = await wallet().request({ method: "eth_requestAccounts" });
  account = first;
  document.getElementById("account").textContent = first;
  return first;
}

async function signTyped(typed, from) {
  return wallet().request({ method: "eth_signTypedData_v4", params: [from, JSON.stringify(typed)] });
}

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error + (body.hint ? ` (${body.hint})` : ""));
  return body;
}

async function postJson(url, payload) {
  const response = await fetch(url, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error + (body.hint ? ` (${body.hint})` : ""));
  return body;
}

const actions = {
  async vote(form, from) {
    const number = form.dataset.proposal;
    const support = new FormData(form).get("support");
    const reason = (new FormData(form).get("reason") || "").trim();
    const query = new URLSearchParams({ voter: from, support, reason });
    const typed = await getJson(`/api/proposals/${number}/ballot?${query}`);
    const signature = await signTyped(typed, from);
    const result = await postJson(`/api/proposals/${number}/votes`, { voter: from, support, reason, signature });
    for (const key of ["for", "against", "abstain"]) {
      const cell = document.getElementById(key);
      if (cell) cell.textContent = String(result.tally[key]);
    }
    return `vote cast on-chain (${result.tx.slice(0, 12)}…)`;
  },
  async review(form, from) {
    const data = new FormData(form);
    const query = new URLSearchParams({
      run: form.dataset.run, episode: form.dataset.episode, reviewer: from,
      scriptwriter: data.get("scriptwriter"), designer: data.get("designer"),
      layout: data.get("layout"), comment: data.get("comment") || "",
    });
    const typed = await getJson(`/api/reviews/typed?${query}`);
    const signature = await signTyped(typed, from);
    const result = await postJson("/api/reviews", { runId: form.dataset.run, message: typed.message, signature });
    return `review stored (weight ${result.weight})`;
  },
  async curate(form, from) {
    const ballot = form.dataset.ballot;
    const query = new URLSearchParams({ voter: from, choice: form.dataset.choice });
    const typed = await getJson(`/api/ballots/${ballot}/typed?${query}`);
    const signature = await signTyped(typed, from);
    const result = await postJson(`/api/ballots/${ballot}/votes`, { message: typed.message, signature });
    return `vote for variant ${result.choice} stored`;
  },
};

function wire() {
  document.getElementById("connect")?.addEventListener("click", () => connect().catch(show(null)));
  for (const form of document.querySelectorAll("form[data-action]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const out = form.querySelector("output");
      out.textContent = "waiting for your wallet…";
      try {
        const from = account || (await connect());
        out.textContent = await actions[form.dataset.action](form, from);
        out.className = "result ok";
      } catch (error) {
        show(out)(error);
      }
    });
  }
}

const show = (out) => (error) => {
  const target = out || document.getElementById("account");
  target.textContent = `error: ${error.message || error}`;
  if (out) out.className = "result error";
};

wire();
