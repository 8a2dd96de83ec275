// The chat: messages rendered as they stream, code interpreter blocks, artifacts, attachments,
// stop and regenerate; conversations kept on the server.
import { api, ApiError, streamEvents } from '../api';
import type { SidePanel } from '../panel';
import { h, size, toast } from '../ui';
import { artifactsOf, type Artifact } from './artifacts';
import { ExecutionBlock, type Execution, type Output } from './execution';
import { fences, renderMarkdown } from './markdown';
import { renderDiagrams } from './mermaid';

type Segment = { kind: 'text'; text: string } | { kind: 'exec'; exec: Execution } | { kind: 'tool'; name: string; arguments: string; result?: string };

interface Message {
  role: 'user' | 'assistant';
  content: string;
  segments?: Segment[];
  attachments?: { name: string; size: number }[];
  error?: string;
  model?: string;
}

interface Stored {
  position: number;
  role: 'user' | 'assistant' | 'system' | 'tool';
  content: string;
  extra?: { segments?: Segment[]; attachments?: Message['attachments']; error?: string; model?: string };
}

interface Attachment {
  name: string;
  size: number;
  data: string; // base64
}

const PREFS = 'sandcastle.chat';
const EXAMPLE = `import numpy as np
import matplotlib.pyplot as plt

x = np.linspace(0, 4 * np.pi, 200)
plt.plot(x, np.sin(x), label="sin")
plt.plot(x, np.cos(x), label="cos")
plt.legend()
plt.title("Hello from Sandcastle")
plt.show()`;
const MAX_ATTACHMENT = 20 * 1024 * 1024;

function prefs(): { model?: string; mode: 'code' | 'terminal' | 'none'; engine: string } {
  try {
    return { mode: 'code', engine: 'workspace', ...JSON.parse(localStorage.getItem(PREFS) ?? '{}') };
  } catch {
    return { mode: 'code', engine: 'workspace' };
  }
}

function savePrefs(change: Partial<ReturnType<typeof prefs>>): void {
  localStorage.setItem(PREFS, JSON.stringify({ ...prefs(), ...change }));
}

export class ChatView {
  readonly element = h('section', { class: 'chat', 'aria-label': 'Chat' });
  /** Called when a conversation was created, renamed or got a message (the sidebar refreshes). */
  onChange: () => void = () => {};
  private conversationId: string | null = null;
  private messages: Message[] = [];
  private readonly list = h('div', { class: 'messages', role: 'log', 'aria-live': 'polite' });
  private readonly input = h('textarea', { rows: 1, placeholder: 'Ask anything', title: 'Enter sends, Shift+Enter makes a new line', 'aria-label': 'Message' });
  private readonly sendButton = h('button', { type: 'submit', class: 'send' }, 'Send');
  private readonly stopButton = h('button', { type: 'button', class: 'danger', hidden: true }, 'Stop');
  private readonly fileInput = h('input', { type: 'file', multiple: true, hidden: true });
  private readonly chips = h('div', { class: 'chips' });
  private readonly models = h('select', { 'aria-label': 'Model', id: 'model' });
  private readonly codeToggle = h('input', { type: 'checkbox', id: 'toggle-code' });
  private readonly terminalToggle = h('input', { type: 'checkbox', id: 'toggle-terminal' });
  private readonly engine = h('select', { 'aria-label': 'Code engine', id: 'engine' },
    h('option', { value: 'workspace' }, 'Workspace'), h('option', { value: 'jupyter' }, 'Jupyter'), h('option', { value: 'pyodide' }, 'Browser (Pyodide)'));
  private attachments: Attachment[] = [];
  private abort: AbortController | null = null;
  private opening = 0;
  private readonly modelsLoaded: Promise<void>;

  constructor(private readonly panel: SidePanel) {
    const form = h('form', { class: 'composer' },
      this.chips,
      h('div', { class: 'row' },
        attachButton(),
        this.input, this.stopButton, this.sendButton),
      this.fileInput);
    form.querySelector('.attach')!.addEventListener('click', () => this.fileInput.click());
    this.fileInput.addEventListener('change', () => {
      this.attach([...(this.fileInput.files ?? [])]);
      this.fileInput.value = '';
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.send();
    });
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.send();
      }
    });
    this.input.addEventListener('input', () => this.grow());
    this.stopButton.addEventListener('click', () => this.abort?.abort());
    this.element.addEventListener('dragover', (e) => e.preventDefault());
    this.element.addEventListener('drop', (e) => {
      e.preventDefault();
      this.attach([...(e.dataTransfer?.files ?? [])]);
    });
    this.element.append(this.list, form);

    const p = prefs();
    this.codeToggle.checked = p.mode === 'code';
    this.terminalToggle.checked = p.mode === 'terminal';
    this.engine.value = p.engine;
    // Code Interpreter and Terminal exclude each other (the server refuses both at once).
    this.codeToggle.addEventListener('change', () => {
      if (this.codeToggle.checked) this.terminalToggle.checked = false;
      this.saveMode();
    });
    this.terminalToggle.addEventListener('change', () => {
      if (this.terminalToggle.checked) this.codeToggle.checked = false;
      this.saveMode();
    });
    this.engine.addEventListener('change', () => {
      savePrefs({ engine: this.engine.value });
      this.connectPyodide();
    });
    this.models.addEventListener('change', () => savePrefs({ model: this.models.value }));
    this.modelsLoaded = this.loadModels();
    this.connectPyodide();
  }

  /** The model picker and the code toggles, shown in the top bar. */
  controls(): HTMLElement {
    return h('div', { class: 'controls' },
      this.models,
      h('label', { class: 'check', title: 'Let the model run Python' }, this.codeToggle, 'Code Interpreter'),
      h('label', { class: 'check', title: 'Let the model use your workspace terminal tools' }, this.terminalToggle, 'Terminal'),
      this.engine);
  }

  /** Shows a stored conversation, or a new empty one. */
  async open(id: string | null): Promise<void> {
    if (id !== null && id === this.conversationId) return;
    const ticket = ++this.opening;
    this.abort?.abort();
    this.conversationId = id;
    this.messages = [];
    if (id) {
      try {
        const conversation = await api<{ messages: Stored[]; model: string }>(`/api/conversations/${encodeURIComponent(id)}`);
        if (ticket !== this.opening) return;
        this.messages = conversation.messages.filter((m) => m.role === 'user' || m.role === 'assistant').map((m) => ({
          role: m.role as 'user' | 'assistant',
          content: m.content,
          segments: m.extra?.segments,
          attachments: m.extra?.attachments,
          error: m.extra?.error,
          model: m.extra?.model,
        }));
      } catch (err) {
        toast((err as Error).message, 'error');
        location.hash = '#/';
        return;
      }
    }
    this.renderAll();
    this.panel.artifacts.reset(this.messages.flatMap((m) => (m.role === 'assistant' ? artifactsOf(fences(textOf(m))) : [])));
    this.input.focus();
  }

  private async loadModels(): Promise<void> {
    try {
      const models = await api<{ data: { id: string }[] }>('/v1/models');
      const wanted = prefs().model;
      this.models.replaceChildren(...models.data.map((m) => h('option', { value: m.id, selected: m.id === wanted }, m.id)));
      if (models.data.length === 0) {
        this.models.append(h('option', { value: '' }, 'No model'));
        this.models.title = 'Start the server with OPENAI_API_BASE_URL pointing at an OpenAI-compatible API';
      }
    } catch (err) {
      this.models.replaceChildren(h('option', { value: '' }, 'Models unavailable'));
      toast(`Models could not be listed: ${(err as Error).message}`, 'error');
    }
  }

  private saveMode(): void {
    savePrefs({ mode: this.codeToggle.checked ? 'code' : this.terminalToggle.checked ? 'terminal' : 'none' });
  }

  /** With the Pyodide engine, this page answers the server's requests to run code. */
  private connectPyodide(): void {
    if (this.engine.value === 'pyodide') {
      import('../pyodide/host').then(({ pyodide }) => pyodide().serve()).catch((err) => toast(`Browser Python: ${err.message}`, 'error'));
    }
  }

  private attach(files: File[]): void {
    for (const file of files) {
      if (file.size > MAX_ATTACHMENT) {
        toast(`${file.name} is larger than ${size(MAX_ATTACHMENT)}`, 'error');
        continue;
      }
      const reader = new FileReader();
      reader.onload = () => {
        const url = String(reader.result);
        this.attachments.push({ name: file.name, size: file.size, data: url.slice(url.indexOf(',') + 1) });
        this.renderChips();
      };
      reader.onerror = () => toast(`${file.name} could not be read`, 'error');
      reader.readAsDataURL(file);
    }
  }

  private renderChips(): void {
    this.chips.replaceChildren(...this.attachments.map((a, i) => {
      const remove = h('button', { type: 'button', class: 'icon', 'aria-label': `Remove ${a.name}` }, '×');
      remove.addEventListener('click', () => {
        this.attachments.splice(i, 1);
        this.renderChips();
      });
      return h('span', { class: 'chip' }, `${a.name} (${size(a.size)})`, remove);
    }));
  }

  private grow(): void {
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight, 240)}px`;
  }

  private async send(): Promise<void> {
    const text = this.input.value.trim();
    if (!text || this.abort) return;
    await this.modelsLoaded; // a message typed while the list loads waits for it
    if (!this.models.value) {
      toast('No model is configured on this server: start it with OPENAI_API_BASE_URL (you can still re-run code blocks).', 'error');
      return;
    }
    const attachments = this.attachments;
    this.attachments = [];
    this.renderChips();
    this.input.value = '';
    this.grow();
    const message: Message = { role: 'user', content: text, attachments: attachments.map((a) => ({ name: a.name, size: a.size })) };
    try {
      await this.ensureConversation(text);
      this.messages.push(message);
      this.renderAll();
      await this.store([message]);
    } catch (err) {
      toast((err as Error).message, 'error');
      this.input.value = text;
      return;
    }
    await this.answer(attachments);
  }

  private async ensureConversation(firstText: string): Promise<void> {
    if (this.conversationId) return;
    const title = firstText.replace(/\s+/g, ' ').slice(0, 60);
    const created = await api<{ id: string }>('/api/conversations', { method: 'POST', json: { title, model: this.models.value } });
    this.conversationId = created.id;
    this.opening++;
    history.replaceState(null, '', `#/c/${created.id}`);
    this.onChange();
  }

  /** Stores messages at the end of the conversation, or from a position on (regenerate). */
  private async store(messages: Message[], fromPosition?: number): Promise<void> {
    if (!this.conversationId) return;
    await api(`/api/conversations/${encodeURIComponent(this.conversationId)}/messages`, {
      method: 'POST',
      json: {
        messages: messages.map((m) => ({
          role: m.role,
          content: textOf(m),
          extra: { segments: m.segments, attachments: m.attachments, error: m.error, model: m.model },
        })),
        from_position: fromPosition,
      },
    });
    this.onChange();
  }

  /** Asks the model for the next assistant message, streaming it into the page. */
  private async answer(attachments: Attachment[] = []): Promise<void> {
    const reply: Message = { role: 'assistant', content: '', segments: [], model: this.models.value };
    const history = this.messages.map((m) => ({ role: m.role, content: historyText(m) }));
    this.messages.push(reply);
    const view = this.renderMessage(reply, this.messages.length - 1);
    this.list.append(view.element);
    this.abort = new AbortController();
    this.sendButton.hidden = true;
    this.stopButton.hidden = false;
    const mode = this.codeToggle.checked ? 'code' : this.terminalToggle.checked ? 'terminal' : 'none';
    const body = {
      model: this.models.value,
      stream: true,
      messages: history,
      chat_id: this.conversationId ?? 'default',
      features: { code_interpreter: mode === 'code', terminal: mode === 'terminal' },
      params: { code_interpreter_engine: this.engine.value },
      files: attachments.length ? attachments.map((a) => ({ name: a.name, data: a.data })) : undefined,
    };
    try {
      await streamEvents('/v1/chat/completions', body, (chunk) => {
        if (chunk.error) {
          reply.error = chunk.error.message ?? String(chunk.error);
        }
        const delta = chunk.choices?.[0]?.delta ?? {};
        if (typeof delta.content === 'string' && delta.content) appendText(reply, delta.content);
        if (chunk.sandcastle) applyEvent(reply, chunk.sandcastle);
        view.refresh();
      }, this.abort.signal);
    } catch (err) {
      if ((err as Error).name === 'AbortError') {
        appendText(reply, '\n\n*(stopped)*');
      } else {
        reply.error = (err as Error).message;
      }
    } finally {
      for (const segment of reply.segments ?? []) if (segment.kind === 'exec') segment.exec.running = false;
      this.abort = null;
      this.sendButton.hidden = false;
      this.stopButton.hidden = true;
      view.refresh(true);
      this.input.focus();
    }
    try {
      await this.store([reply]);
    } catch (err) {
      toast(`The answer could not be saved: ${(err as Error).message}`, 'error');
    }
  }

  private async regenerate(): Promise<void> {
    if (this.abort) return;
    const at = this.messages.length - 1;
    if (at < 1 || this.messages[at].role !== 'assistant') return;
    this.messages.pop();
    this.renderAll();
    if (this.conversationId) {
      // drop the old answer on the server too: the new one replaces it from its position
      try {
        await api(`/api/conversations/${encodeURIComponent(this.conversationId)}/messages`, {
          method: 'POST', json: { messages: [], from_position: at },
        });
      } catch (err) {
        toast((err as Error).message, 'error');
      }
    }
    await this.answer();
  }

  /** Runs a block's code again, in the browser (Pyodide) or on the server, and keeps the new outcome. */
  private async rerun(block: ExecutionBlock, message: Message): Promise<void> {
    const old = block.execution;
    const execution: Execution = { id: old.id, engine: old.engine, code: old.code, outputs: [], running: true };
    block.update(execution);
    try {
      if (old.engine === 'pyodide') {
        const { pyodide } = await import('../pyodide/host');
        block.finish(await pyodide().run(old.code, (output) => block.add(output)));
      } else {
        await streamEvents('/v1/code/execute', { code: old.code, engine: old.engine, chat_id: this.conversationId ?? 'default', stream: true },
          (chunk) => {
            const event = chunk.sandcastle;
            if (chunk.error) throw new ApiError(500, chunk.error.message);
            if (event?.type === 'code_output') block.add(event.output as Output);
            if (event?.type === 'code_finished') {
              block.update({ id: old.id, engine: event.engine, code: old.code, status: event.status, duration_ms: event.duration_ms, outputs: event.outputs, running: false });
            }
          });
      }
    } catch (err) {
      block.update({ ...block.execution, running: false, status: 'error', outputs: [...block.execution.outputs, { type: 'error', name: 'Error', value: (err as Error).message, traceback: [(err as Error).message] }] });
    }
    const segment = message.segments?.find((s) => s.kind === 'exec' && s.exec === old);
    if (segment && segment.kind === 'exec') segment.exec = block.execution;
    const position = this.messages.indexOf(message);
    if (this.conversationId && position >= 0) {
      this.store(this.messages.slice(position), position).catch((err) => toast(`Not saved: ${err.message}`, 'error'));
    }
  }

  /** Runs a small chart example without a model (what a newcomer can do before configuring one). */
  private example(): void {
    const engine = this.engine.value;
    const message: Message = {
      role: 'assistant',
      content: '',
      segments: [
        { kind: 'text', text: `An example, run ${engine === 'pyodide' ? 'in this browser' : 'in your workspace'} (press **Re-run** to run it again):` },
        { kind: 'exec', exec: { id: 'example', engine, code: EXAMPLE, outputs: [] } },
      ],
    };
    this.messages = [message];
    this.renderAll();
    this.list.querySelector<HTMLButtonElement>('details.exec .rerun')?.click();
  }

  private renderAll(): void {
    this.list.replaceChildren(...this.messages.map((m, i) => this.renderMessage(m, i).element));
    if (this.messages.length === 0) {
      const example = h('button', { class: 'secondary', id: 'run-example' }, 'Run an example chart');
      example.addEventListener('click', () => this.example());
      this.list.append(h('div', { class: 'empty' },
        h('h2', {}, 'What shall we work on?'),
        h('p', { class: 'muted' }, 'The model can run Python in your own workspace: ask for a chart, a table, a diagram or a web page.'),
        h('p', { class: 'muted small' }, 'No model yet? Code runs without one:'),
        example));
    }
    this.list.scrollTop = this.list.scrollHeight;
  }

  private renderMessage(message: Message, index: number): { element: HTMLElement; refresh: (final?: boolean) => void } {
    const body = h('div', { class: 'message-body' });
    const element = h('article', { class: `message ${message.role}`, 'data-index': index });
    const blocks = new Map<Execution, ExecutionBlock>();
    let scheduled = false;
    const draw = (final: boolean) => {
      scheduled = false;
      if (message.role === 'user') {
        body.replaceChildren(h('div', { class: 'user-text' }, message.content));
        if (message.attachments?.length) {
          body.append(h('div', { class: 'chips' }, ...message.attachments.map((a) => h('span', { class: 'chip' }, a.name))));
        }
        return;
      }
      const nodes: Node[] = [];
      for (const segment of message.segments ?? [{ kind: 'text', text: message.content } as Segment]) {
        if (segment.kind === 'text') {
          const div = h('div', { class: 'markdown' });
          div.innerHTML = renderMarkdown(segment.text);
          div.dataset.source = segment.text;
          nodes.push(div);
        } else if (segment.kind === 'exec') {
          let block = blocks.get(segment.exec);
          if (!block) {
            block = new ExecutionBlock(segment.exec, (b) => this.rerun(b, message));
            blocks.set(segment.exec, block);
          } else {
            block.update(segment.exec);
          }
          nodes.push(block.element);
        } else {
          nodes.push(h('details', { class: 'tool' }, h('summary', {}, `Tool: ${segment.name}`),
            h('pre', {}, segment.arguments), segment.result ? h('pre', { class: 'muted' }, segment.result) : null));
        }
      }
      if (message.error) nodes.push(h('p', { class: 'error', role: 'alert' }, message.error));
      if (final || !this.abort) {
        const tools = h('div', { class: 'message-tools' });
        const copy = h('button', { class: 'secondary small' }, 'Copy');
        copy.addEventListener('click', () => navigator.clipboard.writeText(textOf(message)).then(() => toast('Copied')));
        tools.append(copy);
        if (index === this.messages.length - 1 && this.messages[index - 1]?.role === 'user') {
          const again = h('button', { class: 'secondary small regenerate' }, 'Regenerate');
          again.addEventListener('click', () => this.regenerate());
          tools.append(again);
        }
        nodes.push(tools);
      }
      body.replaceChildren(...nodes);
      this.wire(body);
      const nearBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 200;
      if (nearBottom) this.list.scrollTop = this.list.scrollHeight;
    };
    element.append(h('div', { class: 'avatar', 'aria-hidden': 'true' }, message.role === 'user' ? 'You' : 'AI'), body);
    draw(true);
    return {
      element,
      refresh: (final = false) => {
        if (final) draw(true);
        else if (!scheduled) {
          scheduled = true;
          requestAnimationFrame(() => draw(false));
        }
      },
    };
  }

  /** Buttons inside rendered Markdown: copy code, open an artifact; and Mermaid diagrams. */
  private wire(body: HTMLElement): void {
    body.querySelectorAll<HTMLButtonElement>('.copy-code').forEach((button) => button.addEventListener('click', () => {
      const code = button.closest('.code-block')?.querySelector('code')?.textContent ?? '';
      navigator.clipboard.writeText(code).then(() => toast('Copied'));
    }));
    body.querySelectorAll<HTMLButtonElement>('.open-artifact').forEach((button) => {
      button.disabled = button.dataset.closed !== 'true';
      button.addEventListener('click', () => {
        const markdown = button.closest('.markdown');
        const all = [...(markdown?.querySelectorAll('.open-artifact') ?? [])];
        const artifacts = artifactsOf(fences(markdownOf(markdown)));
        const artifact: Artifact | undefined = artifacts[Math.min(all.indexOf(button), artifacts.length - 1)];
        if (artifact) this.panel.artifacts.open(artifact);
      });
    });
    renderDiagrams(body).catch((err) => toast(`Mermaid: ${err.message}`, 'error'));
  }
}

/** The paperclip button (an inline SVG: no icon font to load). */
function attachButton(): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'icon attach', title: 'Attach files', 'aria-label': 'Attach files' });
  button.innerHTML = '<svg width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" aria-hidden="true">'
    + '<path d="M21 11.5l-8.6 8.6a5.5 5.5 0 01-7.8-7.8l8.6-8.6a3.7 3.7 0 015.2 5.2l-8.6 8.6a1.8 1.8 0 01-2.6-2.6l8-8"/></svg>';
  return button;
}

/** The Markdown a rendered block came from (kept on the element for artifact buttons). */
function markdownOf(element: Element | null | undefined): string {
  return (element as HTMLElement | null)?.dataset?.source ?? '';
}

function appendText(message: Message, text: string): void {
  const segments = (message.segments ??= []);
  const last = segments.at(-1);
  if (last?.kind === 'text') last.text += text;
  else segments.push({ kind: 'text', text });
  message.content += text;
}

function applyEvent(message: Message, event: any): void {
  const segments = (message.segments ??= []);
  const find = (id: string) => segments.find((s): s is { kind: 'exec'; exec: Execution } => s.kind === 'exec' && s.exec.id === id && !!s.exec.running);
  switch (event.type) {
    case 'code_started':
      segments.push({ kind: 'exec', exec: { id: event.id, engine: event.engine, code: event.code, outputs: [], running: true } });
      break;
    case 'code_output':
      find(event.id)?.exec.outputs.push(event.output);
      break;
    case 'code_finished': {
      const segment = find(event.id);
      if (segment) segment.exec = { id: event.id, engine: event.engine, code: event.code, status: event.status, duration_ms: event.duration_ms, outputs: event.outputs, running: false };
      break;
    }
    case 'tool_started':
      segments.push({ kind: 'tool', name: event.name, arguments: typeof event.arguments === 'string' ? event.arguments : JSON.stringify(event.arguments) });
      break;
    case 'tool_finished': {
      const tool = [...segments].reverse().find((s) => s.kind === 'tool');
      if (tool && tool.kind === 'tool') tool.result = typeof event.result === 'string' ? event.result : JSON.stringify(event.result ?? event);
      break;
    }
  }
}

/** The text of a message (its Markdown, without code blocks' outputs). */
function textOf(message: Message): string {
  if (!message.segments) return message.content;
  return message.segments.filter((s) => s.kind === 'text').map((s) => (s as { text: string }).text).join('');
}

/** What the model reads of an earlier message: its text, and the code it ran with the output. */
function historyText(message: Message): string {
  if (message.role === 'user' || !message.segments) return message.content;
  return message.segments.map((s) => {
    if (s.kind === 'text') return s.text;
    if (s.kind === 'exec') {
      const printed = s.exec.outputs.filter((o) => o.type === 'stream').map((o) => o.text).join('');
      return `\n\`\`\`python\n${s.exec.code}\n\`\`\`\nOutput:\n\`\`\`\n${printed.slice(0, 4000)}\n\`\`\`\n`;
    }
    return '';
  }).join('');
}
