/* jixiao 网页：对话（SSE 流式回答）、案例评分表、先例检索、引文原文、下载 Word。无外部依赖。 */
"use strict";

(function () {
  const KEY_STORAGE = "jixiao.apiKey";
  const SESSION_STORAGE = "jixiao.session";

  const INTENT_LABELS = {
    draft: "起草",
    revise: "修改",
    precedents: "以往表述",
    figure: "数字",
    check: "核对",
    help: "帮助",
    off_topic: "超出范围",
    why_deducted: "扣分原因",
    findings: "问题清单",
    shorten: "精简合并",
    propose_change: "待确认的修改",
    confirm: "已修改案例",
    cancel: "已取消",
    explain: "规则解释",
    diff: "两稿对比",
    show_draft: "查看草稿",
  };
  const PARTS = ["guard", "citations", "figures", "draft", "proposal", "changes", "tools"];
  const KIND_LABELS = {
    basic_info: "基本情况",
    method: "评价方法",
    conclusion: "评价结论",
    indicator_analysis: "指标分析",
    experience: "经验做法",
    problems: "存在问题",
    causes: "原因分析",
    suggestions: "建议",
    scoring_table: "评分表",
    findings_list: "问题清单",
    other: "其他",
  };
  const SEVERITY_LABELS = { error: "错误", warning: "提示", info: "说明" };

  const state = {
    sessionId: null,
    caseData: null,
    busy: false,
  };

  const $ = (selector) => document.querySelector(selector);

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [name, value] of Object.entries(attrs)) {
        if (value === null || value === undefined || value === false) continue;
        if (name === "class") node.className = value;
        else if (name === "text") node.textContent = value;
        else if (name === "html") node.innerHTML = value; // 仅用于已转义的内容
        else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
        else node.setAttribute(name, value === true ? "" : String(value));
      }
    }
    for (const child of [].concat(children || [])) {
      if (child === null || child === undefined) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  // ── 错误提示 ─────────────────────────────────────────────────────────────
  function showError(message) {
    $("#error-text").textContent = message;
    $("#error-banner").hidden = false;
  }
  function clearError() {
    $("#error-banner").hidden = true;
    $("#error-text").textContent = "";
  }

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  // ── 请求 ────────────────────────────────────────────────────────────────
  function headers(extra) {
    const h = Object.assign({}, extra || {});
    const key = localStorage.getItem(KEY_STORAGE);
    if (key) h["X-API-Key"] = key;
    return h;
  }

  async function errorFrom(response) {
    let code = "http_error";
    let message = `请求失败（HTTP ${response.status}）`;
    try {
      const body = await response.json();
      if (body && body.error) {
        code = body.error.code || code;
        message = body.error.message || message;
      }
    } catch (_) {
      /* 非 JSON 的错误正文 */
    }
    return new ApiError(response.status, code, message);
  }

  async function request(method, path, body, extraHeaders) {
    const init = { method, headers: headers(extraHeaders) };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      throw new ApiError(0, "network", "无法连接服务：" + (err && err.message ? err.message : err));
    }
    if (!response.ok) throw await errorFrom(response);
    return response;
  }

  async function api(method, path, body) {
    const response = await request(method, path, body, { Accept: "application/json" });
    return response.json();
  }

  function report(err) {
    const message = err instanceof ApiError ? `${err.message}（${err.code}）` : String(err && err.message ? err.message : err);
    showError(message);
  }

  // ── 数字格式 ─────────────────────────────────────────────────────────────
  function fixed2(value) {
    return value === null || value === undefined ? "—" : Number(value).toFixed(2);
  }
  function weightText(value) {
    const n = Number(value);
    return Number.isInteger(n) ? String(n) : n.toFixed(2);
  }
  function percent(value) {
    return value === null || value === undefined ? "—" : Number(value).toFixed(2) + "%";
  }

  // ── 极简 Markdown（先转义 HTML） ─────────────────────────────────────────
  function escapeHtml(text) {
    return String(text)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#39;");
  }
  function inline(text) {
    return escapeHtml(text)
      .replace(/\*\*([^*]+?)\*\*/g, "<strong>$1</strong>")
      .replace(/`([^`]+?)`/g, "<code>$1</code>");
  }
  function tableHtml(lines) {
    const cells = (line) => line.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((c) => c.trim());
    const rows = lines.filter((line) => !/^\s*\|?\s*:?-{2,}/.test(line));
    if (!rows.length) return "";
    const head = cells(rows[0]).map((c) => `<th>${inline(c)}</th>`).join("");
    const body = rows
      .slice(1)
      .map((row) => "<tr>" + cells(row).map((c) => `<td>${inline(c)}</td>`).join("") + "</tr>")
      .join("");
    return `<div class="table-wrap"><table class="md-table"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
  }

  function renderMarkdown(source) {
    const lines = String(source).replace(/\r\n?/g, "\n").split("\n");
    const out = [];
    let para = null; // 正在累积的段落行
    let list = null; // {type, items: [[html, ...]], start}
    let quote = null;
    let pendingBlank = false;

    const flushPara = () => {
      if (para) out.push(`<p>${para.map(inline).join("<br>")}</p>`);
      para = null;
    };
    const flushList = () => {
      if (!list) return;
      const items = list.items
        .map((parts) => "<li>" + parts.map((p, i) => (i === 0 ? p : `<p>${p}</p>`)).join("") + "</li>")
        .join("");
      const start = list.type === "ol" && list.start !== 1 ? ` start="${list.start}"` : "";
      out.push(`<${list.type}${start}>${items}</${list.type}>`);
      list = null;
    };
    const flushQuote = () => {
      if (quote) out.push(`<blockquote>${quote.map(inline).join("<br>")}</blockquote>`);
      quote = null;
    };
    const flushAll = () => {
      flushPara();
      flushList();
      flushQuote();
    };

    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (!line.trim()) {
        flushPara();
        flushQuote();
        pendingBlank = true;
        continue;
      }
      let m;
      if ((m = /^(#{1,6})\s+(.*)$/.exec(line))) {
        flushAll();
        // 消息内：## → h3，### → h4 …（页面自身已有 h1/h2）
        const level = Math.min(6, m[1].length + 1);
        out.push(`<h${level}>${inline(m[2])}</h${level}>`);
      } else if (/^\s*\|.*\|\s*$/.test(line)) {
        flushAll();
        const rows = [];
        while (i < lines.length && /^\s*\|.*\|\s*$/.test(lines[i])) rows.push(lines[i++]);
        i--;
        out.push(tableHtml(rows));
      } else if ((m = /^\s{0,3}([-*+])\s+(.*)$/.exec(line)) || (m = /^\s{0,3}(\d+)[.、)]\s+(.*)$/.exec(line))) {
        flushPara();
        flushQuote();
        const type = /\d/.test(m[1]) ? "ol" : "ul";
        if (!list || list.type !== type) {
          flushList();
          list = { type, items: [], start: type === "ol" ? parseInt(m[1], 10) : 1 };
        }
        list.items.push([inline(m[2])]);
      } else if ((m = /^>\s?(.*)$/.exec(line))) {
        flushPara();
        flushList();
        (quote = quote || []).push(m[1]);
      } else if (list && /^\s{2,}\S/.test(line)) {
        // 列表项下缩进的续行：空行之后另起一段，否则换行
        const item = list.items[list.items.length - 1];
        if (pendingBlank) item.push(inline(line.trim()));
        else item[item.length - 1] += "<br>" + inline(line.trim());
      } else {
        flushList();
        flushQuote();
        (para = para || []).push(line.trim());
      }
      pendingBlank = false;
    }
    flushAll();
    return out.join("\n");
  }

  // ── 引文 ────────────────────────────────────────────────────────────────
  function parseChunkId(chunkId) {
    // "r02_dengbao@abc123#17" → {doc: "r02_dengbao", ordinal: 17}
    const m = /^(.*?)(?:@[^#]*)?#(\d+)$/.exec(chunkId || "");
    return m ? { doc: m[1], ordinal: parseInt(m[2], 10) } : null;
  }

  /** 《标题》可截断，章节与段落（出处的关键部分）始终完整显示。 */
  function citationLabel(ref) {
    const head = ref.title ? `《${ref.title}》` : "";
    if (head && ref.display.startsWith(head)) {
      const where = ref.display.slice(head.length).trim();
      return [el("span", { class: "citation-title", text: head }), el("span", { class: "citation-where", text: where })];
    }
    return [el("span", { class: "citation-title", text: ref.display })];
  }

  function citationChip(ref, number) {
    const target = parseChunkId(ref.chunk_id);
    const chip = el(
      "button",
      {
        type: "button",
        class: "citation",
        "data-testid": "citation",
        title: ref.display + (target ? "（点击查看原文）" : "（无片段编号，无法打开原文）"),
        "data-doc": target ? target.doc : null,
        "data-ordinal": target ? target.ordinal : null,
        disabled: !target,
      },
      [el("span", { class: "citation-no", text: String(number) }), ...citationLabel(ref)]
    );
    if (target) chip.addEventListener("click", () => openPassage(target.doc, target.ordinal));
    return chip;
  }

  async function openPassage(doc, ordinal) {
    const drawer = $("#passage");
    $("#passage-display").textContent = "正在读取原文…";
    $("#passage-path").textContent = "";
    $("#passage-meta").textContent = "";
    $("#passage-text").textContent = "";
    drawer.hidden = false;
    $("#passage-backdrop").hidden = false;
    try {
      const hit = await api("GET", `/v1/passages/${encodeURIComponent(doc)}/${encodeURIComponent(ordinal)}`);
      const citation = hit.citation || {};
      $("#passage-display").textContent = citation.display || `${doc} #${ordinal}`;
      $("#passage-path").textContent = (citation.section_path || []).join(" › ");
      const meta = [
        KIND_LABELS[hit.section_kind] || hit.section_kind,
        hit.year ? `${hit.year}年` : null,
        hit.region,
        citation.page ? `第${citation.page}页` : null,
        citation.source ? `来源文件：${citation.source}` : null,
      ].filter(Boolean);
      $("#passage-meta").textContent = meta.join(" · ");
      $("#passage-text").textContent = hit.text;
      $("#passage-close").focus();
    } catch (err) {
      $("#passage-display").textContent = "无法读取原文";
      report(err);
    }
  }

  function closePassage() {
    $("#passage").hidden = true;
    $("#passage-backdrop").hidden = true;
  }

  // ── 会话 ────────────────────────────────────────────────────────────────
  function setSession(id, label) {
    state.sessionId = id;
    if (id) localStorage.setItem(SESSION_STORAGE, id);
    else localStorage.removeItem(SESSION_STORAGE);
    $("#session-info").textContent = id ? `会话 ${id.slice(0, 8)}${label ? " · " + label : ""}` : "";
  }

  async function ensureSession() {
    if (state.sessionId) return state.sessionId;
    const body = state.caseData ? { case: state.caseData, title: projectName(state.caseData) } : {};
    const created = await api("POST", "/v1/sessions", body);
    setSession(created.id, state.caseData ? projectName(state.caseData) : "未载入案例");
    return created.id;
  }

  function projectName(caseData) {
    return (caseData && caseData.project && caseData.project.name) || "未命名项目";
  }

  function systemNote(text) {
    const note = el("div", { class: "message system" }, [el("p", { text })]);
    $("#messages").appendChild(note);
    scrollMessages();
  }

  function scrollMessages() {
    const box = $("#messages");
    box.scrollTop = box.scrollHeight;
  }

  function addUserMessage(text) {
    const node = el("div", { class: "message user" }, [el("div", { class: "bubble", text })]);
    $("#messages").appendChild(node);
    scrollMessages();
  }

  /** 一条助手回答的各个部分；流式事件逐个填入。 */
  function createAssistantMessage() {
    const intent = el("span", { class: "intent", hidden: true });
    const body = el("div", { class: "md" });
    const typing = el("div", { class: "typing", text: "正在生成…" });
    const extras = el("div", { class: "extras" });
    const node = el("div", { class: "message assistant", "data-testid": "assistant-message" }, [
      el("div", { class: "bubble" }, [intent, body, typing, extras]),
    ]);
    $("#messages").appendChild(node);
    scrollMessages();
    let text = "";
    const parts = { citations: null, figures: null, guard: null, draft: null, proposal: null, changes: null, tools: null };

    function renderExtras() {
      extras.textContent = "";
      if (parts.guard) extras.appendChild(guardView(parts.guard));
      if (parts.draft && parts.draft.notes && parts.draft.notes.length) {
        extras.appendChild(el("ul", { class: "notes" }, parts.draft.notes.map((n) => el("li", { text: n }))));
      }
      if (parts.citations && parts.citations.length) {
        extras.appendChild(
          el("div", { class: "citations" }, [
            el("span", { class: "label", text: "出处" }),
            ...parts.citations.map((ref, i) => citationChip(ref, i + 1)),
          ])
        );
      }
      if (parts.figures && parts.figures.length) extras.appendChild(figuresView(parts.figures));
      if (parts.tools && parts.tools.length) {
        extras.appendChild(el("div", { class: "tools muted", text: "调用的工具：" + parts.tools.map((t) => t.name + (t.ok ? "" : "（无效）")).join("、") }));
      }
      if (parts.changes && parts.changes.length) {
        extras.appendChild(el("div", { class: "changes", "data-testid": "changes" }, [
          el("span", { class: "label", text: "已修改案例" }),
          el("ul", null, parts.changes.map((c) => el("li", { text: changeText(c) }))),
        ]));
      }
      if (parts.proposal) {
        extras.appendChild(el("div", { class: "actions proposal" }, [
          el("button", { type: "button", class: "confirm-change", text: "确认", onclick: () => sendMessage("确认") }),
          el("button", { type: "button", class: "cancel-change", text: "取消", onclick: () => sendMessage("取消") }),
        ]));
      }
      if (parts.draft) {
        const offered = offersView(parts.draft);
        if (offered) extras.appendChild(offered);
      }
      if (parts.draft) {
        const draft = parts.draft;
        extras.appendChild(
          el("div", { class: "actions" }, [
            el("button", {
              type: "button",
              class: "download-docx",
              "data-testid": "download-docx",
              text: "下载 Word",
              onclick: (event) => downloadDraft(draft, event.currentTarget),
            }),
          ])
        );
      }
    }

    return {
      node,
      intent(name) {
        intent.textContent = INTENT_LABELS[name] || name;
        intent.hidden = false;
        node.dataset.intent = name;
      },
      delta(chunk) {
        text += chunk;
        body.innerHTML = renderMarkdown(text);
        scrollMessages();
      },
      setText(full) {
        text = full;
        body.innerHTML = renderMarkdown(text);
      },
      tool(call) {
        typing.textContent = `正在调用工具：${call.name}…`;
      },
      set(name, value) {
        parts[name] = value;
        renderExtras();
        scrollMessages();
      },
      error(message) {
        extras.appendChild(el("div", { class: "message-error", text: message }));
      },
      done() {
        typing.remove();
        node.classList.add("done");
        if (!text.trim() && !extras.childNodes.length) body.innerHTML = "<p class=\"muted\">（没有回答内容）</p>";
        scrollMessages();
      },
    };
  }

  // 可选措辞（先例中的原因、措施）：不属于正文，每条一个标签，原因可一键写入案例的“问题原因”
  function offersView(draft) {
    const offers = [];
    for (const section of draft.sections || []) for (const p of section.paragraphs || []) for (const o of p.offers || []) offers.push(o);
    if (!offers.length) return null;
    return el("div", { class: "offers", "data-testid": "offers" }, [
      el("span", { class: "label", text: "可选措辞（未写入正文）" }),
      ...offers.map((o) =>
        el("span", { class: "chip offer", title: o.citation ? o.citation.display : "jixiao 通用措辞" }, [
          `${o.kind === "cause" ? "原因" : "措施"}：${o.text}${o.citation ? `（${o.citation.display}）` : ""}`,
          o.kind === "cause" && state.caseData
            ? el("button", { type: "button", class: "accept-offer", text: "采纳", onclick: () => acceptOffer(o) })
            : "",
        ])
      ),
    ]);
  }

  async function acceptOffer(offer) {
    try {
      const result = await api("POST", "/v1/cases/accept-offer", { case: state.caseData, offer });
      await useCase(result.case, "采纳原因后的案例");
    } catch (error) {
      systemNote(`采纳失败：${error.message || error}`);
    }
  }

  function claimsView(guard) {
    const claims = guard.claim_violations || [];
    if (!claims.length) return el("div", { class: "claims ok", "data-testid": "claims" }, [`事实核对：通过（核对 ${guard.claims_checked || 0} 句）`]);
    return el("details", { class: "claims bad", "data-testid": "claims" }, [
      el("summary", { text: `事实核对：${claims.length} 处不是来自案例` }),
      el("ul", null, claims.map((c) => el("li", null, [el("strong", { text: c.text.slice(0, 60) }), `：${c.reason}`]))),
    ]);
  }

  function guardView(guard) {
    return el("div", { class: "guards" }, [numberGuardView(guard), claimsView(guard)]);
  }

  function numberGuardView(guard) {
    guard = { ...guard, ok: !(guard.violations || []).length };
    const violations = guard.violations || [];
    if (guard.ok && (guard.missing || []).length) {
      return el("div", { class: "guard missing", "data-testid": "guard" }, [`数字核对：${guard.missing.join("；")}（核对 ${guard.checked} 个数字）`]);
    }
    if (guard.ok) {
      return el("div", { class: "guard ok", "data-testid": "guard" }, [`数字核对：通过（核对 ${guard.checked} 个数字）`]);
    }
    return el("details", { class: "guard bad", "data-testid": "guard" }, [
      el("summary", { text: `数字核对：${violations.length} 个数字待核` }),
      el(
        "ul",
        null,
        violations.map((v) =>
          el("li", null, [el("strong", { text: v.text }), `：${v.reason}`, v.nearest ? `（最接近：${v.nearest}）` : ""])
        )
      ),
    ]);
  }

  function figuresView(figures) {
    return el("details", { class: "figures" }, [
      el("summary", { text: `数字来源（${figures.length}）` }),
      el(
        "ul",
        null,
        figures.map((f) => el("li", null, [el("code", { text: f.text }), " ← ", f.audit || f.label || "评分结果"]))
      ),
    ]);
  }

  // ── SSE：fetch + ReadableStream，自行解析 event:/data: ──────────────────────
  async function readEvents(response, onEvent) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder("utf-8");
    let buffer = "";
    const dispatch = (block) => {
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (!line || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "event") name = value;
        else if (field === "data") data.push(value);
      }
      if (!data.length) return;
      let payload = data.join("\n");
      try {
        payload = JSON.parse(payload);
      } catch (_) {
        /* 保留原文 */
      }
      onEvent(name, payload);
    };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
      let cut;
      while ((cut = buffer.indexOf("\n\n")) !== -1) {
        dispatch(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
      }
    }
    buffer += decoder.decode();
    if (buffer.trim()) dispatch(buffer);
  }

  async function sendMessage(content) {
    content = content.trim();
    if (!content || state.busy) return;
    clearError();
    state.busy = true;
    $("#chat-send").disabled = true;
    addUserMessage(content);
    let message = null;
    let changed = false;
    try {
      const sessionId = await ensureSession();
      const response = await request("POST", `/v1/sessions/${encodeURIComponent(sessionId)}/messages`, { content }, { Accept: "text/event-stream" });
      message = createAssistantMessage();
      const type = response.headers.get("content-type") || "";
      if (!type.includes("text/event-stream")) {
        // 服务端按 JSON 回答时也能显示
        const data = await response.json();
        message.intent(data.intent);
        message.setText(data.content || "");
        for (const name of PARTS) if (data[name]) message.set(name, data[name]);
        changed = Boolean(data.changes && data.changes.length);
      } else {
        await readEvents(response, (name, data) => {
          if (name === "intent") message.intent(data.intent);
          else if (name === "delta") message.delta(data.text || "");
          else if (name === "text") message.setText(data.text || "");
          else if (name === "tool") message.tool(data);
          else if (PARTS.includes(name)) message.set(name, data);
          if (name === "changes" && data.length) changed = true;
          else if (name === "error") {
            message.error(data.message || "生成失败");
            showError(`${data.message || "生成失败"}（${data.code || "error"}）`);
          }
        });
      }
    } catch (err) {
      if (err instanceof ApiError && err.status === 404 && err.code === "not_found" && state.sessionId) {
        setSession(null); // 会话已失效（如换了密钥），下次发送时新建
      }
      if (message) message.error("回答中断");
      report(err);
    } finally {
      if (message) message.done();
      state.busy = false;
      $("#chat-send").disabled = false;
    }
    if (changed) await refreshCase();
  }

  /** 对话修改了案例：取回会话的案例并重新评分。 */
  async function refreshCase() {
    try {
      const held = await api("GET", `/v1/sessions/${encodeURIComponent(state.sessionId)}/case`);
      if (held.case) {
        state.caseData = held.case;
        renderScore(await api("POST", "/v1/score", { case: held.case }));
      }
    } catch (err) {
      report(err);
    }
  }

  function changeText(c) {
    if (c.op === "add_finding") return `问题清单新增第 ${c.index + 1} 条：${c.finding.nature}${c.finding.project ? "（" + c.finding.project + "）" : ""}`;
    if (c.op === "correct_finding") return `问题清单第 ${c.index + 1} 条的 ${c.field}：${c.old || "（空）"} → ${c.new}`;
    if (c.op === "set_cause") return `第 ${c.problem} 个问题“${c.nature}”的原因：${c.cause}`;
    return JSON.stringify(c);
  }

  function renderHistory(messages) {
    for (const m of messages) {
      if (m.role === "user") {
        addUserMessage(m.content);
        continue;
      }
      const message = createAssistantMessage();
      if (m.intent) message.intent(m.intent);
      message.setText(m.content || "");
      for (const name of PARTS) if (m[name] && !(name === "changes" && !m[name].length)) message.set(name, m[name]);
      message.done();
    }
  }

  // ── 下载 Word ───────────────────────────────────────────────────────────
  function filenameFrom(disposition, fallback) {
    if (!disposition) return fallback;
    let m = /filename\*\s*=\s*([^']*)''([^;]+)/i.exec(disposition);
    if (m) {
      try {
        return decodeURIComponent(m[2].trim().replace(/^"|"$/g, ""));
      } catch (_) {
        /* 落到下面 */
      }
    }
    m = /filename\s*=\s*"?([^";]+)"?/i.exec(disposition);
    return m ? m[1] : fallback;
  }

  // 下载：按钮显示进行中，取回文件后以服务端给的文件名保存；失败时显示错误。三处下载都经这里。
  async function download(button, busyLabel, fetchFile, fallbackName) {
    clearError();
    const label = button.textContent;
    button.disabled = true;
    button.textContent = busyLabel;
    try {
      const response = await fetchFile();
      const blob = await response.blob();
      const name = filenameFrom(response.headers.get("content-disposition"), fallbackName);
      const url = URL.createObjectURL(blob);
      const link = el("a", { href: url, download: name, hidden: true });
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (err) {
      report(err);
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  }

  function downloadDraft(draft, button) {
    return download(button, "正在生成 Word…", () => request("POST", "/v1/drafts/export", { draft, format: "docx" }), "草稿.docx");
  }

  // ── 报告核对 ─────────────────────────────────────────────────────────────
  // 原文由服务端按核对时读到的正文逐行返回（?lines=true），.txt/.md/.docx/.pdf 都能定位到所涉行
  const review = { file: null, lines: null, firstLine: 1, result: null };

  function figureText(value) {
    return value === null || value === undefined ? "—" : String(value);
  }

  function renderReviewText(lines, places) {
    const box = $("#review-text");
    box.textContent = "";
    const wanted = new Map(places.map((place) => [place.line, place.quote]));
    if (!lines) {
      // 没有原文（服务端未返回正文）：只列出所涉各处的引文
      for (const place of places) {
        box.appendChild(el("div", { class: "line hit", "data-line": place.line }, [
          el("span", { class: "no", text: String(place.line) }),
          el("span", { html: `<mark>${escapeHtml(place.quote)}</mark>` }),
        ]));
      }
      box.hidden = places.length === 0;
      return;
    }
    lines.forEach((line, i) => {
      const number = review.firstLine + i;
      const quote = wanted.get(number);
      let html = escapeHtml(line);
      if (quote) {
        const key = quote.replace(/…$/, "").slice(0, 24);
        const at = key ? line.indexOf(key) : -1;
        html = at >= 0
          ? escapeHtml(line.slice(0, at)) + "<mark>" + escapeHtml(line.slice(at, at + quote.replace(/…$/, "").length)) + "</mark>" + escapeHtml(line.slice(at + quote.replace(/…$/, "").length))
          : `<mark>${escapeHtml(line)}</mark>`;
      }
      box.appendChild(el("div", { class: quote ? "line hit" : "line", "data-line": number }, [
        el("span", { class: "no", text: String(number) }),
        el("span", { html: html || "&nbsp;" }),
      ]));
    });
    box.hidden = false;
  }

  function showFinding(finding, item) {
    for (const node of document.querySelectorAll("#review-findings .check.selected")) node.classList.remove("selected");
    item.classList.add("selected");
    renderReviewText(review.lines, finding.places || []);
    const first = (finding.places || [])[0];
    const target = first && $(`#review-text .line[data-line="${first.line}"]`);
    if (target) target.scrollIntoView({ block: "center" });
  }

  function renderReview(result) {
    review.result = result;
    review.lines = result.lines || null;
    review.firstLine = result.first_line || 1;
    const summary = $("#review-summary");
    const counts = { error: 0, warning: 0, info: 0 };
    for (const finding of result.findings) counts[finding.severity] = (counts[finding.severity] || 0) + 1;
    const found = Object.entries(counts).filter(([, n]) => n).map(([key, n]) => `${SEVERITY_LABELS[key]} ${n} 条`).join("，");
    summary.textContent = `${result.title}：总分报告写 ${figureText(result.stated_total)}，重算 ${figureText(result.recomputed_total)}；`
      + `等级报告写 ${result.stated_grade || "—"}，重算 ${result.recomputed_grade || "—"}。${found ? "发现：" + found + "。" : "未发现前后不一致之处。"}`;
    summary.hidden = false;
    const list = $("#review-findings");
    list.textContent = "";
    result.findings.forEach((finding, i) => {
      const first = (finding.places || [])[0];
      const item = el("li", { class: `check ${finding.severity}`, tabindex: "0", "data-testid": "review-finding", role: "button" }, [
        el("span", { class: "severity", text: SEVERITY_LABELS[finding.severity] || finding.severity }),
        el("span", {}, [
          el("span", { class: "location", text: `${i + 1}. ${first ? "第" + first.line + "行 " : ""}` }),
          finding.explanation,
          el("span", { class: "figures", text: `报告所写 ${figureText(finding.stated)} · 重算 ${figureText(finding.recomputed)}` }),
        ]),
      ]);
      item.addEventListener("click", () => showFinding(finding, item));
      item.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          showFinding(finding, item);
        }
      });
      list.appendChild(item);
    });
    renderReviewText(review.lines, []);
    $("#review-text").hidden = !review.lines;
    $("#review-download").hidden = false;
  }

  async function postReport(file, query) {
    const form = new FormData();
    form.append("file", file, file.name);
    let response;
    try {
      response = await fetch("/v1/check" + (query || ""), { method: "POST", headers: headers(), body: form });
    } catch (err) {
      throw new ApiError(0, "network", "无法连接服务：" + (err && err.message ? err.message : err));
    }
    if (!response.ok) throw await errorFrom(response);
    return response;
  }

  async function checkUpload(file) {
    if (!file) return;
    clearError();
    review.file = file;
    $("#review-download").hidden = true;
    $("#review-summary").hidden = false;
    $("#review-summary").textContent = `正在核对 ${file.name}…`;
    $("#review-findings").textContent = "";
    try {
      review.lines = null;
      const response = await postReport(file, "?lines=true");
      renderReview(await response.json());
    } catch (err) {
      $("#review-summary").hidden = true;
      report(err);
    }
  }

  function downloadReview(button) {
    if (!review.file) return;
    const stem = review.file.name.replace(/\.[^.]+$/, "");
    return download(button, "正在生成审核稿…", async () => {
      const response = await postReport(review.file, "?annotate=docx");
      const type = response.headers.get("content-type") || "";
      if (!type.includes("officedocument") && !type.includes("octet-stream")) {
        throw new ApiError(501, "not_available", "服务端暂未提供审核稿下载（POST /v1/check?annotate=docx）；可用命令行 jixiao check 报告 --annotate 审核稿.docx");
      }
      return response;
    }, `${stem}_审核稿.docx`);
  }

  // ── 案例与评分 ───────────────────────────────────────────────────────────
  async function useCase(caseData, origin) {
    clearError();
    const result = await api("POST", "/v1/score", { case: caseData }); // 先校验并评分，失败时不换会话
    const name = projectName(caseData);
    const created = await api("POST", "/v1/sessions", { case: caseData, title: name });
    state.caseData = caseData;
    setSession(created.id, name);
    renderScore(result);
    renderEditor();
    setStatus("");
    systemNote(`已载入${origin}：${name}（新会话）。综合得分 ${fixed2(result.total)} 分，等级“${result.grade}”。`);
  }

  function renderScore(result) {
    $("#case-summary").hidden = false;
    $("#project-name").textContent = result.project;
    $("#score-total").textContent = `${fixed2(result.total)} / ${weightText(result.full_score)}`;
    $("#score-grade").textContent = `等级：${result.grade}`;

    const tbody = $("#score-table tbody");
    tbody.textContent = "";
    for (const node of result.nodes) {
      const deducted = Number(node.weight) - Number(node.score) > 0.0001;
      const tips = [node.audit, node.reason ? "扣分理由：" + node.reason : null].filter(Boolean).join("\n");
      const nameCell = el("td", { class: "name", style: `padding-left:${0.5 + (node.level - 1) * 1.25}rem`, title: tips }, [
        node.name,
        node.findings ? el("span", { class: "findings", title: `问题清单中有 ${node.findings} 条问题挂在该指标`, text: `问题 ${node.findings}` }) : null,
      ]);
      tbody.appendChild(
        el("tr", { class: `level-${Math.min(node.level, 4)}${node.is_leaf ? " leaf" : ""}${deducted ? " deducted" : ""}`, "data-path": node.path }, [
          nameCell,
          el("td", { class: "num", text: weightText(node.weight) }),
          el("td", { class: "num", text: fixed2(node.score), title: node.audit }),
          el("td", { class: "num", text: percent(node.rate) }),
        ])
      );
    }
    const tfoot = $("#score-table tfoot");
    tfoot.textContent = "";
    tfoot.appendChild(
      el("tr", { class: "total" }, [
        el("td", null, ["合计", el("span", { class: "grade", text: `等级：${result.grade}` })]),
        el("td", { class: "num", text: weightText(result.full_score) }),
        el("td", { class: "num", text: fixed2(result.total) }),
        el("td", { class: "num", text: percent(result.rate) }),
      ])
    );
    $("#score-wrap").hidden = false;

    const funds = (result.funds || []).filter((f) => f.value !== null && f.value !== undefined);
    const fundsBody = $("#funds-table tbody");
    fundsBody.textContent = "";
    for (const f of funds) {
      fundsBody.appendChild(
        el("tr", null, [
          el("td", { text: f.label }),
          el("td", { class: "num", text: `${fixed2(f.value)}${f.unit === "%" ? "%" : "万元"}` }),
          el("td", { class: "muted", text: f.formula }),
        ])
      );
    }
    $("#funds-wrap").hidden = !funds.length;

    const checks = $("#checks");
    checks.textContent = "";
    for (const c of result.checks || []) {
      checks.appendChild(
        el("li", { class: `check ${c.severity}` }, [
          el("span", { class: "severity", text: SEVERITY_LABELS[c.severity] || c.severity }),
          el("div", null, [el("div", { class: "location", text: c.place || "" }), el("div", { class: "check-message", text: c.message })]),
        ])
      );
    }
    if (!(result.checks || []).length) checks.appendChild(el("li", { class: "check ok", text: "未发现不一致之处。" }));
    $("#checks-wrap").hidden = false;
  }

  async function loadSample() {
    const button = $("#load-sample");
    button.disabled = true;
    try {
      const caseData = await api("GET", "/v1/sample-case");
      await useCase(caseData, "示例案例");
    } catch (err) {
      report(err);
    } finally {
      button.disabled = false;
    }
  }

  // ── 案例上传、编辑、下载 ─────────────────────────────────────────────────
  const RULE_TYPES = {
    ratio: "按比率得分",
    per_finding: "每发现一例扣分",
    composite: "比率 + 每例扣分",
    tiered: "分档",
    upper_bound: "上限型目标",
    lateness: "逾期扣分",
    judgment: "评价人酌情扣分",
    levels: "好/较好/一般/较差/差",
    output_band: "产出目标区间",
    result_target: "结果目标",
    missing: "无数值（0 分）",
  };
  const PROJECT_FIELDS = [["name", "项目名称"], ["year", "年度"], ["department", "主管部门"], ["evaluator", "评价机构"]];
  const FUND_FIELDS = [
    ["budget", "年初预算"], ["adjustment", "调整预算"], ["allocated", "财政拨款"], ["received", "实际到位"],
    ["spent", "实际支出"], ["carried_over", "结转"], ["recovered", "财政收回"],
    ["contract_amount", "合同金额"], ["contract_paid", "合同已支付"],
  ];
  const LINE_FIELDS = [["name", "子项目"], ["budget", "预算"], ["received", "到位"], ["spent", "支出"]];
  const FINDING_FIELDS = [["nature", "问题定性"], ["issue", "具体问题"], ["description", "问题描述"]];
  const editor = { timer: null, seq: 0 };

  /** 表单里的数字：空 → 删除该项；数字 → 数；其余原样交给服务端（由它指出字段与原因）。 */
  function numberOrText(text) {
    const value = String(text).trim().replace(/,/g, "");
    if (value === "") return undefined;
    return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  function setField(target, key, value) {
    if (value === undefined || value === "") delete target[key];
    else target[key] = value;
  }

  function setStatus(text, bad) {
    const status = $("#editor-status");
    status.textContent = text;
    status.classList.toggle("bad", !!bad);
  }

  /** 每次修改后：稍候重新评分（只用最后一次的结果），评分成功后保存到会话。 */
  function edited(structural) {
    if (structural) renderEditor();
    clearTimeout(editor.timer);
    setStatus("正在重新评分…");
    editor.timer = setTimeout(rescore, 350);
  }

  async function rescore() {
    const mine = ++editor.seq;
    try {
      const result = await api("POST", "/v1/score", { case: state.caseData });
      if (mine !== editor.seq) return;
      renderScore(result);
      if (state.sessionId) await api("PUT", `/v1/sessions/${encodeURIComponent(state.sessionId)}/case`, { case: state.caseData });
      if (mine !== editor.seq) return;
      setStatus(`已重新评分：${fixed2(result.total)} 分，等级“${result.grade}”${state.sessionId ? "；已保存到会话" : ""}`);
    } catch (err) {
      if (mine !== editor.seq) return;
      setStatus(`案例有误，未重新评分：${err.message}`, true);
    }
  }

  function leafPaths(nodes, prefix, out) {
    out = out || [];
    for (const node of nodes || []) {
      const path = prefix ? `${prefix}/${node.name}` : node.name;
      if (node.children && node.children.length) leafPaths(node.children, path, out);
      else out.push({ path, name: node.name });
    }
    return out;
  }

  function textInput(value, onInput, attrs) {
    const input = el("input", Object.assign({ type: "text", value: value === undefined || value === null ? "" : String(value) }, attrs || {}));
    input.addEventListener("input", () => onInput(input.value, input));
    return input;
  }

  function fieldRow(label, input) {
    return el("label", { class: "ed-field" }, [el("span", { text: label }), input]);
  }

  function renderProjectForm() {
    const box = $("#ed-project .ed-body");
    box.textContent = "";
    const data = state.caseData;
    data.project = data.project || {};
    const grid = el("div", { class: "ed-grid" });
    for (const [key, label] of PROJECT_FIELDS) {
      grid.appendChild(fieldRow(label, textInput(data.project[key], (v) => {
        setField(data.project, key, key === "year" ? numberOrText(v) : v.trim());
        edited(false);
      }, { "data-field": `project.${key}` })));
    }
    grid.appendChild(fieldRow("满分", textInput(data.full_score, (v) => {
      setField(data, "full_score", numberOrText(v));
      edited(false);
    }, { "data-field": "full_score" })));
    box.appendChild(grid);
  }

  function renderFundsForm() {
    const box = $("#ed-funds .ed-body");
    box.textContent = "";
    const data = state.caseData;
    const funds = () => (data.funds = data.funds || {});
    const grid = el("div", { class: "ed-grid" });
    for (const [key, label] of FUND_FIELDS) {
      grid.appendChild(fieldRow(label, textInput((data.funds || {})[key], (v) => {
        setField(funds(), key, numberOrText(v));
        edited(false);
      }, { "data-field": `funds.${key}` })));
    }
    box.appendChild(grid);
    const lines = (data.funds || {}).lines || [];
    const table = el("table", { class: "ed-table" }, [
      el("thead", null, [el("tr", null, [...LINE_FIELDS.map(([, label]) => el("th", { text: label })), el("th", { text: "" })])]),
    ]);
    const body = el("tbody");
    lines.forEach((line, i) => {
      body.appendChild(el("tr", null, [
        ...LINE_FIELDS.map(([key]) => el("td", null, [textInput(line[key], (v) => {
          setField(line, key, key === "name" ? v.trim() : numberOrText(v));
          edited(false);
        })])),
        el("td", null, [el("button", { type: "button", class: "link-button", text: "删除", onclick: () => { lines.splice(i, 1); edited(true); } })]),
      ]));
    });
    table.appendChild(body);
    box.appendChild(el("h4", { text: "资金明细（子项目）" }));
    if (lines.length) box.appendChild(table);
    box.appendChild(el("button", {
      type: "button", class: "link-button", text: "＋ 添加子项目",
      onclick: () => { (funds().lines = funds().lines || []).push({ name: `子项目${lines.length + 1}`, budget: 0, received: 0, spent: 0 }); edited(true); },
    }));
  }

  function ruleParams(rule) {
    const rest = Object.assign({}, rule || {});
    delete rest.type;
    delete rest.reason;
    delete rest.text;
    return JSON.stringify(rest);
  }

  function indicatorRow(node, path, depth) {
    const leaf = !(node.children && node.children.length);
    const cells = [
      textInput(node.name, (v) => { node.name = v.trim(); edited(false); }, { class: "ed-name", "aria-label": "指标名称", "data-field": `name:${path}` }),
      textInput(node.weight, (v) => { setField(node, "weight", numberOrText(v)); edited(false); }, { class: "ed-weight", "aria-label": "分值", "data-field": `weight:${path}` }),
    ];
    const row = el("div", { class: `ed-node${leaf ? " leaf" : ""}`, style: `margin-left:${depth * 0.9}rem`, "data-path": path }, cells);
    if (!leaf) return [row];
    const rule = (node.rule = node.rule || { type: "judgment", deduction: 0, reason: "" });
    const select = el("select", { "aria-label": "评分规则", "data-field": `rule:${path}` },
      Object.entries(RULE_TYPES).map(([type, label]) => el("option", { value: type, text: label, selected: rule.type === type })));
    if (!(rule.type in RULE_TYPES)) select.appendChild(el("option", { value: rule.type, text: rule.type, selected: true }));
    select.addEventListener("change", () => { rule.type = select.value; edited(false); });
    const params = textInput(ruleParams(rule), (v, input) => {
      let parsed;
      try {
        parsed = JSON.parse(v || "{}");
        if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("应为 {…}");
      } catch (_) {
        input.classList.add("bad");
        setStatus(`“${node.name}”的规则参数不是有效的 JSON（如 {"per": 0.2}），未重新评分`, true);
        return;
      }
      input.classList.remove("bad");
      for (const key of Object.keys(rule)) if (!["type", "reason", "text"].includes(key)) delete rule[key];
      Object.assign(rule, parsed);
      edited(false);
    }, { class: "ed-params", "aria-label": "规则参数（JSON）", title: rule.text ? `评价标准：${rule.text}` : "规则参数（JSON）", "data-field": `params:${path}` });
    const reason = textInput(rule.reason, (v) => { setField(rule, "reason", v.trim()); edited(false); },
      { class: "ed-reason", placeholder: "扣分理由", "aria-label": "扣分理由", "data-field": `reason:${path}` });
    const detail = el("div", { class: "ed-rule", style: `margin-left:${depth * 0.9 + 0.9}rem` }, [select, params, reason]);
    return [row, detail];
  }

  function renderIndicators() {
    const box = $("#ed-indicators .ed-body");
    box.textContent = "";
    box.appendChild(el("div", { class: "ed-node ed-head" }, [el("span", { class: "ed-name", text: "指标" }), el("span", { class: "ed-weight", text: "分值" })]));
    const walk = (nodes, prefix, depth) => {
      for (const node of nodes || []) {
        const path = prefix ? `${prefix}/${node.name}` : node.name;
        for (const row of indicatorRow(node, path, depth)) box.appendChild(row);
        if (node.children && node.children.length) walk(node.children, path, depth + 1);
      }
    };
    walk(state.caseData.indicators, "", 0);
    box.appendChild(el("p", { class: "hint", text: "末级指标：选规则类型，参数写成 JSON（如每例扣分 {\"per\": 0.2}、按比率 {\"rate\": 95.91}），酌情扣分写 {\"deduction\": 1} 和扣分理由。规则写法见 jixiao rules。" }));
  }

  function leafPicker(finding, leaves) {
    const current = finding.indicator || "";
    const match = leaves.find((leaf) => leaf.path === current) || leaves.find((leaf) => leaf.name === current);
    const select = el("select", { class: "ed-leaf", "aria-label": "所挂指标", "data-testid": "finding-leaf" }, [
      el("option", { value: "", text: "（未挂指标）", selected: !current }),
      ...leaves.map((leaf) => el("option", { value: leaf.path, text: leaf.path, selected: match === leaf })),
    ]);
    if (current && !match) select.appendChild(el("option", { value: current, text: `${current}（找不到）`, selected: true }));
    select.addEventListener("change", () => { setField(finding, "indicator", select.value); edited(false); });
    return select;
  }

  function renderFindings() {
    const box = $("#ed-findings .ed-body");
    box.textContent = "";
    const data = state.caseData;
    const findings = (data.findings = data.findings || []);
    const leaves = leafPaths(data.indicators);
    const list = el("ol", { class: "ed-findings", "data-testid": "findings-editor" });
    findings.forEach((finding, i) => {
      const move = (step) => {
        const j = i + step;
        if (j < 0 || j >= findings.length) return;
        [findings[i], findings[j]] = [findings[j], findings[i]];
        edited(true);
      };
      const fields = FINDING_FIELDS.map(([key, label]) => {
        const input = key === "description"
          ? el("textarea", { rows: "2", "aria-label": label, placeholder: label, "data-field": key })
          : el("input", { type: "text", "aria-label": label, placeholder: label, "data-field": key });
        input.value = finding[key] || "";
        input.addEventListener("input", () => { setField(finding, key, input.value.trim()); edited(false); });
        return input;
      });
      list.appendChild(el("li", { class: "ed-finding", "data-testid": "finding-row", "data-index": i }, [
        el("div", { class: "ed-finding-head" }, [
          el("span", { class: "ed-no", text: `${i + 1}.` }), fields[0], fields[1],
          el("button", { type: "button", class: "link-button", text: "上移", disabled: i === 0, "aria-label": "上移", onclick: () => move(-1) }),
          el("button", { type: "button", class: "link-button", text: "下移", disabled: i === findings.length - 1, "aria-label": "下移", onclick: () => move(1) }),
          el("button", { type: "button", class: "link-button danger", text: "删除", "data-testid": "finding-delete", onclick: () => { findings.splice(i, 1); edited(true); } }),
        ]),
        fields[2],
        el("div", { class: "ed-finding-leaf" }, [el("span", { class: "muted", text: "挂在指标：" }), leafPicker(finding, leaves)]),
      ]));
    });
    box.appendChild(list);
    box.appendChild(el("button", {
      type: "button", class: "link-button", text: "＋ 添加问题", "data-testid": "finding-add",
      onclick: () => { findings.push({ nature: "", issue: "", description: "" }); edited(true); },
    }));
  }

  function renderEditor() {
    if (!state.caseData) return;
    renderProjectForm();
    renderFundsForm();
    renderIndicators();
    renderFindings();
    $("#ed-findings summary").textContent = `问题清单（${(state.caseData.findings || []).length} 条）`;
    $("#editor").hidden = false;
    $("#download-xlsx").hidden = false;
    $("#download-yaml").hidden = false;
  }

  function renderImport(data, names) {
    const box = $("#import-report");
    box.textContent = "";
    box.classList.remove("bad");
    const count = (s) => (!s.rows ? "" : s.kind === "报告" ? `，${s.rows} 个末级指标` : `，${s.rows} 行`);
    const sheets = (data.sheets || []).map((s) => `${s.file}${s.sheet ? ` 工作表“${s.sheet}”` : ""}（${s.kind}${count(s)}）`);
    box.appendChild(el("div", { class: "import-head", text: `已读取 ${names}：${sheets.join("、") || "—"}` }));
    const inferences = data.inferences || [];
    if (inferences.length) {
      const rows = inferences.map((row) => el("tr", { class: row.check ? "flag" : null }, [
        el("td", { text: row.path }),
        el("td", { text: row.label }),
        el("td", { class: "muted", text: row.words }),
        el("td", { class: "num", text: row.score === null || row.score === undefined ? "—" : row.score }),
        el("td", { class: "num", text: row.sheet_score === null || row.sheet_score === undefined ? "—" : row.sheet_score }),
      ]));
      box.appendChild(el("details", { class: "import-table", "data-testid": "import-inferences" }, [
        el("summary", { text: `规则推断（${inferences.length} 个末级指标，${data.rules_read || 0} 个读出规则）` }),
        el("div", { class: "table-wrap" }, [el("table", { class: "ed-table" }, [
          el("thead", null, [el("tr", null, ["指标", "规则", "依据", "规则得分", "底稿得分"].map((t) => el("th", { text: t })))]),
          el("tbody", null, rows),
        ])]),
      ]));
    }
    const unplaced = data.unplaced || [];
    if (unplaced.length) {
      box.appendChild(el("details", { class: "import-unplaced", open: true, "data-testid": "import-unplaced" }, [
        el("summary", { text: `未挂到指标的问题（${unplaced.length} 条，不计扣分；可在“编辑案例 › 问题清单”中选择指标）` }),
        el("ul", null, unplaced.map((text) => el("li", { text }))),
      ]));
    }
    const checks = (data.checks || []).filter((text) => !unplaced.some((u) => text.includes(u)));
    if (checks.length) {
      box.appendChild(el("details", { class: "import-checks" }, [
        el("summary", { text: `需核对（${checks.length}）` }),
        el("ul", null, checks.map((text) => el("li", { text }))),
      ]));
    }
    box.hidden = false;
  }

  async function uploadCase(fileList) {
    const files = Array.from(fileList || []);
    if (!files.length) return;
    clearError();
    const names = files.map((f) => `“${f.name}”`).join("、");
    const box = $("#import-report");
    box.hidden = false;
    box.classList.remove("bad");
    box.textContent = `正在读取 ${names}…`;
    const form = new FormData();
    for (const file of files) form.append("file", file, file.name);
    try {
      let response;
      try {
        response = await fetch("/v1/cases/import", { method: "POST", headers: headers({ Accept: "application/json" }), body: form });
      } catch (err) {
        throw new ApiError(0, "network", "无法连接服务：" + (err && err.message ? err.message : err));
      }
      if (!response.ok) throw await errorFrom(response);
      const data = await response.json();
      renderImport(data, names);
      await useCase(data.case, names);
    } catch (err) {
      box.textContent = "";
      box.classList.add("bad");
      box.appendChild(el("div", { class: "import-error", "data-testid": "import-error", text: `未能导入 ${names}：${err.message}` }));
      report(err);
    }
  }

  function downloadCase(format, button) {
    if (!state.caseData) return;
    const caseData = state.caseData;
    return download(button, "正在生成…", () => request("POST", "/v1/cases/export", { case: caseData, format }), `${projectName(caseData)}.${format}`);
  }

  // ── 先例检索 ─────────────────────────────────────────────────────────────
  async function search() {
    const query = $("#search-input").value.trim();
    if (!query) {
      $("#search-input").focus();
      return;
    }
    clearError();
    const kind = $("#search-kind").value;
    const body = { query, k: parseInt($("#search-k").value, 10) || 5 };
    if (kind) body.kinds = [kind];
    const box = $("#search-results");
    box.textContent = "";
    box.appendChild(el("p", { class: "muted", text: "正在检索…" }));
    $("#search-go").disabled = true;
    try {
      const hits = await api("POST", "/v1/precedents/search", body);
      box.textContent = "";
      if (!hits.length) {
        box.appendChild(el("p", { class: "muted", text: "没有找到相关表述。" }));
        return;
      }
      hits.forEach((hit, i) => {
        const target = parseChunkId(hit.chunk_id);
        const tags = [KIND_LABELS[hit.section_kind] || hit.section_kind, hit.year ? `${hit.year}年` : null, hit.region].filter(Boolean);
        box.appendChild(
          el("article", { class: "hit", "data-chunk": hit.chunk_id }, [
            el("div", { class: "hit-head" }, [
              el("span", { class: "hit-no", text: String(i + 1) }),
              el("button", {
                type: "button",
                class: "hit-title link-button",
                text: hit.citation.display,
                title: "查看原文",
                onclick: () => target && openPassage(target.doc, target.ordinal),
              }),
            ]),
            el("div", { class: "hit-tags" }, tags.map((t) => el("span", { class: "tag", text: t }))),
            el("p", { class: "hit-text", text: hit.text }),
          ])
        );
      });
    } catch (err) {
      box.textContent = "";
      report(err);
    } finally {
      $("#search-go").disabled = false;
    }
  }

  // ── 恢复上次会话 ─────────────────────────────────────────────────────────
  async function restore() {
    const id = localStorage.getItem(SESSION_STORAGE);
    if (!id) return;
    try {
      const session = await api("GET", `/v1/sessions/${encodeURIComponent(id)}`);
      setSession(session.id, session.title || (session.case ? projectName(session.case) : "未载入案例"));
      if (session.case) {
        state.caseData = session.case;
        renderScore(await api("POST", "/v1/score", { case: session.case }));
        renderEditor();
      }
      if (session.messages && session.messages.length) {
        systemNote("已恢复上次的会话。");
        renderHistory(session.messages);
      }
    } catch (_) {
      setSession(null); // 会话不存在或密钥不符：静默开始新会话
    }
  }

  // ── 事件绑定 ─────────────────────────────────────────────────────────────
  function init() {
    const keyInput = $("#api-key");
    keyInput.value = localStorage.getItem(KEY_STORAGE) || "";
    keyInput.addEventListener("change", () => {
      const value = keyInput.value.trim();
      if (value) localStorage.setItem(KEY_STORAGE, value);
      else localStorage.removeItem(KEY_STORAGE);
      clearError();
    });

    $("#error-close").addEventListener("click", clearError);

    $("#chat-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = $("#chat-input");
      const value = input.value;
      if (!value.trim() || state.busy) return;
      input.value = "";
      sendMessage(value);
    });
    $("#chat-input").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        $("#chat-form").requestSubmit();
      }
    });
    for (const button of document.querySelectorAll(".suggestion")) {
      button.addEventListener("click", () => {
        if (state.busy) return;
        sendMessage(button.textContent);
      });
    }
    $("#new-session").addEventListener("click", () => {
      setSession(null);
      for (const node of document.querySelectorAll("#messages .message:not(.intro)")) node.remove();
      systemNote(state.caseData ? `新会话：下一条消息将以“${projectName(state.caseData)}”开始新会话。` : "新会话：尚未载入案例。");
    });

    $("#load-sample").addEventListener("click", loadSample);
    $("#case-file").addEventListener("change", (event) => {
      uploadCase(event.target.files);
      event.target.value = "";
    });
    $("#download-xlsx").addEventListener("click", (event) => downloadCase("xlsx", event.currentTarget));
    $("#download-yaml").addEventListener("click", (event) => downloadCase("yaml", event.currentTarget));

    $("#review-file").addEventListener("change", (event) => {
      checkUpload(event.target.files[0]);
      event.target.value = "";
    });
    $("#review-download").addEventListener("click", (event) => downloadReview(event.currentTarget));

    $("#search-form").addEventListener("submit", (event) => {
      event.preventDefault();
      search();
    });

    $("#passage-close").addEventListener("click", closePassage);
    $("#passage-backdrop").addEventListener("click", closePassage);
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !$("#passage").hidden) closePassage();
    });

    restore();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();

  // 供调试与测试
  window.jixiao = { renderMarkdown, parseChunkId, filenameFrom, renderReview, caseData: () => state.caseData };
})();
