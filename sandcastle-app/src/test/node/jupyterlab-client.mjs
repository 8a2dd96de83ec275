// JupyterLab's own kernel client (@jupyterlab/services), used as a notebook front end uses it,
// against the server at SANDCASTLE_URL with the token SANDCASTLE_TOKEN. Writes one JSON object
// to the file RESULT: what a user of that front end would see at each step. The Java test
// (JupyterLabClientTest) starts the server and judges the answers.
import { KernelAPI, KernelManager, ServerConnection } from '@jupyterlab/services';
import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';

const url = process.env.SANDCASTLE_URL;
const token = process.env.SANDCASTLE_TOKEN;
const png = process.env.PNG_BASE64;

// The subprotocol the server accepted on each channels socket, as the client saw it.
const protocols = [];
class RecordingWebSocket extends WebSocket {
  constructor(address, offered) {
    super(address, offered);
    this.on('open', () => protocols.push(this.protocol));
  }
}

function within(seconds, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs code as a notebook cell does; returns its iopub outputs and the shell reply. */
async function run(kernel, code, seconds = 60, onBusy) {
  const outputs = [];
  const future = kernel.requestExecute({ code, stop_on_error: true });
  future.onIOPub = (msg) => {
    const type = msg.header.msg_type;
    if (type === 'status' && msg.content.execution_state === 'busy' && onBusy) {
      onBusy();
    }
    if (['stream', 'execute_result', 'display_data', 'error'].includes(type)) {
      outputs.push({ type, content: msg.content });
    }
  };
  const reply = await within(seconds, `running ${JSON.stringify(code.slice(0, 40))}`, future.done);
  return { outputs, reply: reply.content };
}

const settings = ServerConnection.makeSettings({
  baseUrl: url,
  wsUrl: url.replace(/^http/, 'ws'),
  token,
  appendToken: true,
  WebSocket: RecordingWebSocket,
});

const seen = {};
const manager = new KernelManager({ serverSettings: settings });
try {
  await within(30, 'the kernel manager', manager.ready);
  const kernel = await within(60, 'starting a kernel', manager.startNew({ name: 'python3' }));
  seen.kernelId = kernel.id;
  const info = await within(30, 'kernel_info', kernel.info);
  seen.language = info.language_info.name;

  await run(kernel, 'x = 41');
  const sum = await run(kernel, 'x + 1');
  seen.sum = sum.outputs.filter((o) => o.type === 'execute_result').map((o) => o.content.data['text/plain']);

  const picture = await run(kernel,
    `import base64\nfrom IPython.display import Image, display\ndisplay(Image(data=base64.b64decode('${png}')))`);
  seen.png = picture.outputs.filter((o) => o.type === 'display_data').map((o) => o.content.data['image/png']);

  const failure = await run(kernel, 'def f():\n    return 1 / 0\nf()');
  seen.error = failure.outputs.filter((o) => o.type === 'error').map((o) => ({
    ename: o.content.ename, traceback: o.content.traceback.join('\n'),
  }));
  seen.errorReply = failure.reply.status;

  const started = Date.now();
  let interrupted;
  const sleeping = await run(kernel, 'import time\ntime.sleep(30)\nprint("slept")', 60, () => {
    // The cell is running: interrupt it a moment later, as the toolbar's stop button does.
    interrupted ??= new Promise((resolve) => setTimeout(resolve, 500)).then(() => kernel.interrupt());
  });
  await interrupted;
  seen.interruptSeconds = (Date.now() - started) / 1000;
  seen.interrupt = sleeping.outputs.filter((o) => o.type === 'error').map((o) => o.content.ename);
  seen.interruptPrinted = sleeping.outputs.filter((o) => o.type === 'stream').map((o) => o.content.text);

  await within(60, 'restarting', kernel.restart());
  const after = await run(kernel, 'x');
  seen.afterRestart = after.outputs.filter((o) => o.type === 'error').map((o) => o.content.ename);

  await within(30, 'shutting down', kernel.shutdown());
  seen.listedAfterShutdown = (await KernelAPI.listRunning(settings)).map((k) => k.id);
  seen.protocols = protocols;
} catch (error) {
  seen.protocols = protocols;
  seen.failure = String(error && error.stack ? error.stack : error);
  process.exitCode = 1;
} finally {
  manager.dispose();
  writeFileSync(process.env.RESULT, JSON.stringify(seen));
}
