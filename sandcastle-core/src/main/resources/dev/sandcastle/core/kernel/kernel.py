# Sandcastle kernel host.
#
# One process per workspace, started by the workspace supervisor inside the sandbox. It imports
# the heavy libraries once (IPython, numpy, pandas, matplotlib: whatever is installed), then forks
# a kernel per request, so a new kernel starts warm in milliseconds and shares the imported pages.
# The host is the only writer of the protocol stream; kernels talk to it over pipes.
#
# Protocol: JSON, one object per line, on the host's stdin (requests) and stdout (events).
# Every message names its kernel with "k".
#   {"op":"start","k":K,"cwd":DIR}              -> {"k":K,"type":"started","pid":PID}
#   {"op":"execute","k":K,"id":ID,"code":SRC}   -> stream / execute_result / display_data /
#                                                  clear_output / error events with "id", then
#                                                  {"type":"done","id":ID,"status":"ok"|"error",
#                                                   "execution_count":N}
#   {"op":"interrupt","k":K}                    SIGINT to the kernel (KeyboardInterrupt in the cell)
#   {"op":"stop","k":K}                         SIGKILL to the kernel
#   {"op":"ping","id":ID}                       -> {"type":"pong","id":ID}
# Host events: {"type":"ready","ipython":bool,"preloaded":[...]} once;
#   {"k":K,"type":"died","code":C,"signal":S} when a kernel ends for any reason.
# Output events: stream {"name":"stdout"|"stderr","text"}; execute_result {"execution_count",
# "data","metadata"}; display_data {"data","metadata"}; error {"ename","evalue","traceback"}.
import base64
import json
import os
import selectors
import signal
import sys

PRELOAD = ("numpy", "pandas", "matplotlib", "matplotlib.pyplot")
SYNC = b"\x00\x1esandcastle-cell-end\x1e\x00"
MAX_CELL_OUTPUT = int(os.environ.get("SANDCASTLE_KERNEL_OUTPUT_LIMIT", str(1 << 20)))

try:
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    HAVE_IPYTHON = True
except Exception:  # IPython missing or broken: plain exec, same output model
    HAVE_IPYTHON = False

preloaded = []
for name in PRELOAD:
    try:
        __import__(name)
        preloaded.append(name)
    except Exception:
        pass


def json_line(obj):
    return (json.dumps(obj, separators=(",", ":"), default=str) + "\n").encode()


# --------------------------------------------------------------------------------------------
# The kernel: runs in a forked child.

class Kernel:
    def __init__(self, out_fd):
        import threading
        self.out = os.fdopen(out_fd, "wb", buffering=0)
        self.lock = threading.Lock()
        self.cell = None
        self.sent = 0
        self.truncated = False
        self.count = 0

    def emit(self, obj):
        if self.cell is not None:
            obj["id"] = self.cell
        line = json_line(obj)
        with self.lock:  # lines longer than PIPE_BUF must not interleave between threads
            self.out.write(line)

    def stream(self, name, text):
        if not text or self.cell is None:
            return
        if self.sent >= MAX_CELL_OUTPUT:
            if not self.truncated:
                self.truncated = True
                self.emit({"type": "stream", "name": "stderr",
                           "text": "\n[output truncated: more than %d bytes in one cell]\n" % MAX_CELL_OUTPUT})
            return
        room = MAX_CELL_OUTPUT - self.sent
        if len(text) > room:
            text = text[:room]
        self.sent += len(text)
        self.emit({"type": "stream", "name": name, "text": text})

    def flush_streams(self):
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, Stream):
                stream.flush()

    def display(self, data, metadata=None, result=False):
        self.flush_streams()
        size = sum(len(v) if isinstance(v, str) else 0 for v in data.values())
        if self.sent + size > MAX_CELL_OUTPUT * 16:
            self.stream("stderr", "[display output dropped: too large]\n")
            return
        self.sent += size
        if result:
            self.emit({"type": "execute_result", "execution_count": self.count, "data": data, "metadata": metadata or {}})
        else:
            self.emit({"type": "display_data", "data": data, "metadata": metadata or {}})


class Stream:
    """sys.stdout / sys.stderr of a kernel: text is sent as stream events line by line (a partial
    line waits at most FLUSH_INTERVAL, sent by the kernel's flusher thread)."""

    FLUSH_INTERVAL = 0.1

    def __init__(self, kernel, name):
        import threading
        self.kernel = kernel
        self.name = name
        self.encoding = "utf-8"
        self.errors = "replace"
        self.pending = []
        self.lock = threading.Lock()

    def write(self, text):
        if not isinstance(text, str):
            text = str(text)
        with self.lock:
            self.pending.append(text)
            if "\n" in text or sum(map(len, self.pending)) > 8192:
                self._flush_locked()
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        with self.lock:
            self._flush_locked()

    def _flush_locked(self):
        if self.pending:
            text = "".join(self.pending)
            self.pending = []
            self.kernel.stream(self.name, text)

    def isatty(self):
        return False

    def fileno(self):
        return 1 if self.name == "stdout" else 2

    @property
    def closed(self):
        return False

    def readable(self):
        return False

    def writable(self):
        return True


def mime_bundle(obj):
    """Rich representations of an object, as Jupyter would show them."""
    data = {"text/plain": repr(obj)}
    for method, mime in (("_repr_html_", "text/html"), ("_repr_markdown_", "text/markdown"),
                         ("_repr_svg_", "image/svg+xml"), ("_repr_png_", "image/png"),
                         ("_repr_jpeg_", "image/jpeg"), ("_repr_latex_", "text/latex"),
                         ("_repr_json_", "application/json")):
        fn = getattr(obj, method, None)
        if fn is None or isinstance(obj, type):
            continue
        try:
            value = fn()
        except Exception:
            continue
        if value is None:
            continue
        if isinstance(value, tuple):
            value = value[0]
        if isinstance(value, bytes):
            value = base64.b64encode(value).decode()
        data[mime] = value
    return data


def flush_figures(kernel):
    """Every open matplotlib figure becomes a PNG display, then is closed (no plt.show() needed)."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return
    import io
    for num in plt.get_fignums():
        fig = plt.figure(num)
        buf = io.BytesIO()
        try:
            fig.savefig(buf, format="png", bbox_inches="tight")
        except Exception as e:
            kernel.stream("stderr", "cannot render figure: %s\n" % e)
            continue
        kernel.display({"image/png": base64.b64encode(buf.getvalue()).decode(),
                        "text/plain": "<Figure size %dx%d>" % tuple(fig.get_size_inches() * fig.dpi)})
    plt.close("all")


def strip_ansi(text):
    import re
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def make_ipython_shell(kernel):
    class Hook(DisplayHook):
        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            kernel.display(format_dict, md_dict, result=True)

        def finish_displayhook(self):
            sys.stdout.flush()
            sys.stderr.flush()

    class Publisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
            kernel.display(data, metadata)

        def clear_output(self, wait=False):
            kernel.emit({"type": "clear_output", "wait": wait})

    class Shell(InteractiveShell):
        def _showtraceback(self, etype, evalue, stb):
            kernel.flush_streams()
            kernel.emit({"type": "error", "ename": getattr(etype, "__name__", str(etype)),
                         "evalue": str(evalue), "traceback": stb,
                         "traceback_plain": [strip_ansi(line) for line in stb]})

        def enable_gui(self, gui=None):
            pass

    from traitlets.config import Config
    config = Config()
    # In/Out history in memory only: the SQLite file in ~/.ipython costs a millisecond per cell
    # and would leave IPython's files in the user's home.
    config.HistoryManager.hist_file = ":memory:"
    shell = Shell.instance(config=config, displayhook_class=Hook, display_pub_class=Publisher)

    def pip(line):
        """%pip: installs into the workspace (~/.local) when it has network; says why not otherwise."""
        if os.environ.get("SANDCASTLE_NETWORK", "none") == "none":
            raise RuntimeError("pip cannot install packages: this workspace has no network access (network: none). "
                               "Use the packages already installed (" + ", ".join(preloaded or ["the standard library"])
                               + "), or ask the administrator to run the workspace with --network host.")
        import subprocess
        subprocess.run([sys.executable, "-m", "pip"] + line.split(), check=False)

    shell.register_magic_function(pip, "line", "pip")
    shell.colors = "Linux"
    try:
        shell.InteractiveTB.set_mode("Context")
    except Exception:
        pass
    return shell


def run_ipython(shell, kernel, code):
    result = shell.run_cell(code, store_history=True)
    kernel.count = shell.execution_count - 1 if shell.execution_count > 1 else kernel.count
    return result.error_before_exec is None and result.error_in_exec is None


def run_plain(namespace, kernel, code):
    import ast
    import traceback
    try:
        tree = ast.parse(code, "<cell>", "exec")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, "<cell-%d>" % kernel.count, "exec"), namespace)
        if last is not None:
            value = eval(compile(last, "<cell-%d>" % kernel.count, "eval"), namespace)
            if value is not None:
                namespace["_"] = value
                kernel.display(mime_bundle(value), result=True)
        return True
    except BaseException as e:
        if isinstance(e, SystemExit):
            pass
        tb = traceback.format_exception(type(e), e, e.__traceback__)
        tb = [line for line in tb if 'File "' not in line or "kernel.py" not in line]
        kernel.flush_streams()
        kernel.emit({"type": "error", "ename": type(e).__name__, "evalue": str(e), "traceback": tb,
                     "traceback_plain": tb})
        return False


def kernel_main(req_fd, out_fd, cwd):
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    try:
        os.chdir(cwd)
    except OSError:
        pass
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    kernel = Kernel(out_fd)
    sys.stdout = Stream(kernel, "stdout")
    sys.stderr = Stream(kernel, "stderr")
    sys.stdin = open(os.devnull)
    # Output written to file descriptors 1 and 2 (subprocesses, C code) is captured too.
    read_end, write_end = os.pipe()
    os.dup2(write_end, 1)
    os.dup2(write_end, 2)
    os.close(write_end)
    import threading

    synced = threading.Event()

    def pump():
        pending = b""
        while True:
            try:
                chunk = os.read(read_end, 65536)
            except OSError:
                return
            if not chunk:
                return
            pending += chunk
            # A cell's end writes SYNC; everything before it belongs to that cell.
            while SYNC in pending:
                before, pending = pending.split(SYNC, 1)
                if before:
                    kernel.stream("stdout", before.decode("utf-8", "replace"))
                synced.set()
            keep = len(SYNC) - 1  # a marker may be split across reads
            if len(pending) > keep:
                text, pending = pending[:-keep], pending[-keep:]
                kernel.stream("stdout", text.decode("utf-8", "replace"))

    threading.Thread(target=pump, daemon=True).start()
    # Only now, with the host's pipes gone from fds 0-2, may the kernel be the user's to inspect.
    set_dumpable(True)

    def flusher():
        import time
        while True:
            time.sleep(Stream.FLUSH_INTERVAL)
            kernel.flush_streams()

    threading.Thread(target=flusher, daemon=True).start()
    if HAVE_IPYTHON:
        shell = make_ipython_shell(kernel)
        run = lambda code: run_ipython(shell, kernel, code)
        namespace = shell.user_ns
    else:
        namespace = {"__name__": "__main__", "display": lambda *objs: [kernel.display(mime_bundle(o)) for o in objs]}
        run = lambda code: run_plain(namespace, kernel, code)
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.show = lambda *a, **k: flush_figures(kernel)
    kernel.out.write(json_line({"type": "started", "pid": os.getpid()}))
    requests = os.fdopen(req_fd, "rb", buffering=0)
    buffer = b""
    while True:
        while b"\n" not in buffer:
            try:
                chunk = os.read(req_fd, 1 << 20)
            except KeyboardInterrupt:
                continue
            if not chunk:
                os._exit(0)
            buffer += chunk
        line, buffer = buffer.split(b"\n", 1)
        req = json.loads(line)
        kernel.cell = req.get("id")
        kernel.sent = 0
        kernel.truncated = False
        kernel.count += 1
        ok = False
        try:
            ok = run(req.get("code", ""))
            flush_figures(kernel)
        except KeyboardInterrupt:
            kernel.flush_streams()
            kernel.emit({"type": "error", "ename": "KeyboardInterrupt", "evalue": "",
                         "traceback": ["KeyboardInterrupt"], "traceback_plain": ["KeyboardInterrupt"]})
        kernel.flush_streams()
        synced.clear()
        os.write(1, SYNC)  # the pump forwards what subprocesses wrote before it, then signals
        synced.wait(1.0)
        kernel.emit({"type": "done", "status": "ok" if ok else "error", "execution_count": kernel.count})
        kernel.cell = None


# --------------------------------------------------------------------------------------------
# The host.

class Child:
    def __init__(self, k, pid, req_fd, out_fd):
        self.k = k
        self.pid = pid
        self.req = req_fd
        self.out = out_fd
        self.buffer = b""


def set_dumpable(flag):
    """The host is non-dumpable, so code in a kernel cannot reach the host's pipes through
    /proc/PID/fd; each kernel becomes dumpable again (it is the user's own process)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(4, 1 if flag else 0, 0, 0, 0)  # PR_SET_DUMPABLE
    except Exception:
        pass


def main():
    set_dumpable(False)
    if HAVE_IPYTHON:
        try:  # the heavy part of a shell, done once in the host and shared by every fork
            import IPython.core.completer  # noqa: F401
            import IPython.core.ultratb  # noqa: F401
        except Exception:
            pass
    import gc
    gc.collect()
    if hasattr(gc, "freeze"):
        gc.freeze()  # keep imported objects' pages shared with the forks
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sel = selectors.DefaultSelector()
    stdout = sys.stdout.buffer
    children = {}
    by_fd = {}
    by_pid = {}
    sel.register(0, selectors.EVENT_READ, "control")
    # Reap children through a self-pipe written by SIGCHLD.
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    sel.register(wake_r, selectors.EVENT_READ, "wake")
    stdout.write(json_line({"type": "ready", "ipython": HAVE_IPYTHON, "preloaded": preloaded}))
    stdout.flush()
    control = b""

    def send(obj):
        stdout.write(json_line(obj))

    def start(req):
        k = str(req["k"])
        if k in children:
            send({"k": k, "type": "died", "code": -1, "signal": 0, "error": "kernel exists"})
            return
        req_r, req_w = os.pipe()
        out_r, out_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                sel.close()
                os.close(req_w)
                os.close(out_r)
                os.close(wake_r)
                os.close(wake_w)
                for other in children.values():
                    os.close(other.req)
                    os.close(other.out)
                signal.set_wakeup_fd(-1)
                kernel_main(req_r, out_w, req.get("cwd") or os.getcwd())
            except BaseException:
                import traceback
                traceback.print_exc(file=sys.__stderr__)
            os._exit(1)
        os.close(req_r)
        os.close(out_w)
        child = Child(k, pid, req_w, out_r)
        children[k] = child
        by_fd[out_r] = child
        by_pid[pid] = child
        sel.register(out_r, selectors.EVENT_READ, "child")

    def reap():
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            child = by_pid.pop(pid, None)
            if child is None:
                continue
            forward(child, final=True)
            close(child)
            sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
            code = 128 + sig if sig else os.WEXITSTATUS(status)
            send({"k": child.k, "type": "died", "code": code, "signal": sig})

    def close(child):
        children.pop(child.k, None)
        if child.out in by_fd:
            del by_fd[child.out]
            sel.unregister(child.out)
            os.close(child.out)
        try:
            os.close(child.req)
        except OSError:
            pass

    def forward(child, final=False):
        """Copies complete event lines of a kernel to the host's output, tagged with its id."""
        while True:
            try:
                chunk = os.read(child.out, 1 << 20)
            except BlockingIOError:
                break
            except OSError:
                chunk = b""
            if not chunk:
                break
            child.buffer += chunk
            if not final:
                break
        tag = b'{"k":' + json.dumps(child.k).encode() + b","
        while b"\n" in child.buffer:
            line, child.buffer = child.buffer.split(b"\n", 1)
            if line.startswith(b"{") and len(line) > 2:
                stdout.write(tag + line[1:] + b"\n")

    def handle(req):
        op = req.get("op")
        if op == "start":
            start(req)
        elif op == "ping":
            send({"type": "pong", "id": req.get("id")})
        else:
            child = children.get(str(req.get("k")))
            if child is None:
                send({"k": req.get("k"), "type": "died", "code": -1, "signal": 0, "error": "no such kernel"})
                return
            if op == "execute":
                line = json_line({"id": req.get("id"), "code": req.get("code", "")})
                try:
                    os.write(child.req, line)  # small; a busy kernel reads it when its cell ends
                except OSError:
                    pass
            elif op == "interrupt":
                try:
                    os.kill(child.pid, signal.SIGINT)
                except ProcessLookupError:
                    pass
            elif op == "stop":
                try:
                    os.kill(child.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    while True:
        for key, _ in sel.select():
            if key.data == "control":
                chunk = os.read(0, 1 << 20)
                if not chunk:
                    for child in list(children.values()):
                        try:
                            os.kill(child.pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                    return
                control += chunk
                while b"\n" in control:
                    line, control = control.split(b"\n", 1)
                    if line.strip():
                        try:
                            handle(json.loads(line))
                        except Exception as e:
                            send({"type": "log", "error": str(e)})
            elif key.data == "wake":
                try:
                    os.read(wake_r, 4096)
                except BlockingIOError:
                    pass
                reap()
            else:
                child = by_fd.get(key.fd)
                if child is not None:
                    os.set_blocking(child.out, False)
                    forward(child)
        stdout.flush()


if __name__ == "__main__":
    main()
