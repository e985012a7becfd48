// Verifies gongshu audit receipts (C2SP tlog-proof) in the browser, with
// nothing but WebCrypto: SHA-256 for the RFC 9162 inclusion proof and
// Ed25519 for the signed-note checkpoint. The server is not trusted: the
// verifier key is the one the reader pinned (data-vkey on the table).
"use strict";

(function () {
  const enc = new TextEncoder();

  function b64(s) {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function concat(...parts) {
    const n = parts.reduce((a, p) => a + p.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }

  const leafHash = (d) => sha256(concat(new Uint8Array([0]), d));
  const nodeHash = (l, r) => sha256(concat(new Uint8Array([1]), l, r));

  function equal(a, b) {
    if (a.length !== b.length) return false;
    let d = 0;
    for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
    return d === 0;
  }

  // RFC 9162 §2.1.3.2, with BigInt so sizes beyond 2^53 stay exact.
  async function rootFromInclusion(index, size, leaf, proof) {
    if (index >= size) throw new Error("序号超出日志规模");
    let fn = index, sn = size - 1n, r = leaf;
    for (const p of proof) {
      if (sn === 0n) throw new Error("证明过长");
      if ((fn & 1n) === 1n || fn === sn) {
        r = await nodeHash(p, r);
        if ((fn & 1n) === 0n) {
          while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn >>= 1n; sn >>= 1n;
    }
    if (sn !== 0n) throw new Error("证明过短");
    return r;
  }

  async function parseVkey(vkey) {
    // name+hexid+base64 — the base64 key may itself contain '+'.
    const v = vkey.trim();
    const p1 = v.indexOf("+");
    const p2 = v.indexOf("+", p1 + 1);
    if (p1 <= 0 || p2 !== p1 + 9) throw new Error("验证公钥格式错误");
    const name = v.slice(0, p1), idHex = v.slice(p1 + 1, p2), key = v.slice(p2 + 1);
    const raw = b64(key);
    if (raw[0] !== 1 || raw.length !== 33) throw new Error("验证公钥不是 Ed25519");
    const pub = raw.slice(1);
    const id = (await sha256(concat(enc.encode(name), new Uint8Array([10, 1]), pub))).slice(0, 4);
    if (Array.from(id).map((b) => b.toString(16).padStart(2, "0")).join("") !== idHex) {
      throw new Error("验证公钥标识不符");
    }
    const cryptoKey = await crypto.subtle.importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]);
    return { name, id, cryptoKey };
  }

  async function verifyReceipt(text, vkey) {
    const key = await parseVkey(vkey);
    const split = text.indexOf("\n\n");
    if (split < 0) throw new Error("回执格式错误");
    const head = text.slice(0, split).split("\n");
    const note = text.slice(split + 2);
    if (head[0] !== "c2sp.org/tlog-proof@v1") throw new Error("不是 tlog-proof 回执");
    if (!head[1].startsWith("extra ") || !head[2].startsWith("index ")) throw new Error("回执缺少条目或序号");
    const entry = b64(head[1].slice(6));
    const index = BigInt(head[2].slice(6));
    const proof = head.slice(3).map(b64);
    // Signed note: text, blank line, signature lines.
    const sigAt = note.lastIndexOf("\n\n");
    const body = note.slice(0, sigAt + 1);
    const lines = note.slice(sigAt + 2).trim().split("\n");
    let verified = false;
    for (const line of lines) {
      const m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!m || m[1] !== key.name) continue;
      const blob = b64(m[2]);
      if (!equal(blob.slice(0, 4), key.id)) continue;
      verified = await crypto.subtle.verify({ name: "Ed25519" }, key.cryptoKey, blob.slice(4), enc.encode(body));
      if (!verified) throw new Error("检查点签名无效");
    }
    if (!verified) throw new Error("检查点没有受信任的签名");
    const [origin, sizeLine, rootLine] = body.split("\n");
    if (origin !== key.name) throw new Error("日志来源不符");
    const size = BigInt(sizeLine);
    const root = await rootFromInclusion(index, size, await leafHash(entry), proof);
    if (!equal(root, b64(rootLine))) throw new Error("包含证明与检查点根哈希不符");
    return { index, size };
  }

  window.gongshuVerifyReceipt = verifyReceipt;

  document.addEventListener("click", async (ev) => {
    const btn = ev.target.closest("button[data-receipt]");
    if (!btn) return;
    const out = btn.parentElement.querySelector(".verdict");
    const vkey = document.getElementById("records").dataset.vkey;
    out.textContent = "校验中…";
    try {
      const resp = await fetch(btn.dataset.receipt, { credentials: "same-origin" });
      if (!resp.ok) throw new Error("无法获取回执（" + resp.status + "）");
      const r = await verifyReceipt(await resp.text(), vkey);
      out.textContent = "✓ 已校验：第 " + r.index + " 条在规模 " + r.size + " 的日志中";
      out.className = "verdict ok";
    } catch (e) {
      out.textContent = "✗ " + e.message;
      out.className = "verdict bad";
    }
  });
})();
