# Sandcastle workspace supervisor.
#
# Runs as the first process inside a workspace sandbox and spawns commands on
# request, streaming their output back to the server over one multiplexed
# channel: frames on its own stdin (requests) and stdout (events).
#
# Frame: 4-byte big-endian payload length, 1-byte kind, 4-byte big-endian
# channel id, payload. Channel 0 is the supervisor itself.
#
# Requests (server -> supervisor)
#   S spawn   JSON {argv, cwd, env}        start a process in its own session
#   I input   raw bytes                    write to the process's stdin
#   E eof     -                            close the process's stdin
#   K signal  JSON {sig, group}            signal the process (group: its process group)
#   P ping    any bytes                    answered with p and the same bytes
# Events (supervisor -> server)
#   R ready   JSON {pid}                   once, at start
#   s started JSON {pid}                   spawn succeeded
#   f failed  JSON {error}                 spawn failed; no other event follows
#   o / e     raw bytes                    stdout / stderr of the process
#   x exit    JSON {code, signal}          the process exited (output read so far sent first)
#   c closed  -                            every output pipe reached end of file
#   p pong    the ping's bytes
#
# The supervisor never blocks on a child: pipes are non-blocking and read in
# one select loop. It holds no limits itself; the workspace cgroup does. It is single-threaded
# by design: state needs no locks, and changing directory around posix_spawn is safe.
import errno
import fcntl
import json
import os
import selectors
import signal
import struct
import sys

HEADER = struct.Struct(">IBI")
CHUNK = 65536

out = sys.stdout.buffer
inp = sys.stdin.buffer.raw if hasattr(sys.stdin.buffer, "raw") else sys.stdin.buffer
sel = selectors.DefaultSelector()
procs = {}  # channel id -> Proc


def send(kind, cid, payload=b""):
    out.write(HEADER.pack(len(payload), ord(kind), cid))
    if payload:
        out.write(payload)


def send_json(kind, cid, obj):
    send(kind, cid, json.dumps(obj, separators=(",", ":")).encode())


class Proc:
    """A child process: its pid, a pidfd for its exit, and the raw pipe fds."""

    def __init__(self, cid, pid, stdin, stdout, stderr):
        self.cid = cid
        self.pid = pid
        self.stdin = stdin
        self.open_pipes = 2
        self.exited = False
        self.pending = bytearray()
        self.watching_stdin = False
        self.eof_requested = False
        self.pidfd = os.pidfd_open(pid)
        self.pipes = {}
        for fd, kind in ((stdout, "o"), (stderr, "e")):
            os.set_blocking(fd, False)
            self.pipes[fd] = kind
            sel.register(fd, selectors.EVENT_READ, ("pipe", self, fd))
        os.set_blocking(stdin, False)
        sel.register(self.pidfd, selectors.EVENT_READ, ("exit", self))

    def pump(self, fd, drain=False):
        """Sends what the pipe holds (one chunk, or all with drain); closes it at end of file."""
        kind = self.pipes[fd]
        while True:
            try:
                data = os.read(fd, CHUNK)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                sel.unregister(fd)
                os.close(fd)
                del self.pipes[fd]
                self.open_pipes -= 1
                self.maybe_finish()
                return
            send(kind, self.cid, data)
            if not drain:
                return

    def on_exit(self):
        sel.unregister(self.pidfd)
        os.close(self.pidfd)
        _, status = os.waitpid(self.pid, 0)
        # Output the process wrote before it ended comes before its exit event.
        for fd in list(self.pipes):
            self.pump(fd, drain=True)
        self.exited = True
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            send_json("x", self.cid, {"code": 128 + sig, "signal": sig})
        else:
            send_json("x", self.cid, {"code": os.WEXITSTATUS(status), "signal": 0})
        self.close_stdin()
        self.maybe_finish()

    def maybe_finish(self):
        if self.exited and self.open_pipes == 0 and self.cid in procs:
            del procs[self.cid]
            send("c", self.cid)

    def write(self, data):
        """Queues input; a child that does not read it never blocks the supervisor."""
        if self.stdin is None:
            return
        was_empty = not self.pending
        self.pending += data
        if was_empty:
            self.flush_input()

    def flush_input(self):
        try:
            while self.pending:
                n = os.write(self.stdin, self.pending)
                del self.pending[:n]
        except BlockingIOError:
            if not self.watching_stdin:
                sel.register(self.stdin, selectors.EVENT_WRITE, ("stdin", self))
                self.watching_stdin = True
            return
        except OSError:
            self.pending.clear()
            self.close_stdin()
            return
        if self.watching_stdin:
            sel.unregister(self.stdin)
            self.watching_stdin = False
        if self.eof_requested:
            self.close_stdin()

    def request_eof(self):
        self.eof_requested = True
        if not self.pending:
            self.close_stdin()

    def close_stdin(self):
        if self.stdin is None:
            return
        if self.watching_stdin:
            sel.unregister(self.stdin)
            self.watching_stdin = False
        os.close(self.stdin)
        self.stdin = None

    def signal(self, sig, group):
        try:
            if group:
                os.killpg(self.pid, sig)
            else:
                os.kill(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


# Signals the supervisor ignores or handles are reset to their defaults in children.
DEFAULT_SIGNALS = (signal.SIGINT, signal.SIGPIPE, signal.SIGQUIT, signal.SIGXFSZ, signal.SIGTERM)


def spawn(cid, req):
    fds = []
    try:
        argv = [str(a) for a in req["argv"]]
        env = {str(k): str(v) for k, v in (req.get("env") or {}).items()}
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        fds = [in_r, in_w, out_r, out_w, err_r, err_w]
        # posix_spawn (vfork + exec) is much cheaper than fork for a Python parent. It has no
        # chdir action in Python, and this process is single-threaded, so change directory
        # around the call.
        os.chdir(req.get("cwd") or "/")
        try:
            launch = os.posix_spawn if "/" in argv[0] else os.posix_spawnp
            pid = launch(argv[0], argv, env,
                         file_actions=[(os.POSIX_SPAWN_DUP2, in_r, 0),
                                       (os.POSIX_SPAWN_DUP2, out_w, 1),
                                       (os.POSIX_SPAWN_DUP2, err_w, 2)],
                         setsid=True, setsigdef=DEFAULT_SIGNALS)
        finally:
            os.chdir("/")
    except OSError as e:
        for fd in fds:
            os.close(fd)
        reason = "process limit reached" if e.errno == errno.EAGAIN else (e.strerror or str(e))
        send_json("f", cid, {"error": reason, "errno": e.errno or 0})
        return
    except Exception as e:  # bad request shape; report, never die
        for fd in fds:
            os.close(fd)
        send_json("f", cid, {"error": str(e), "errno": 0})
        return
    for fd in (in_r, out_w, err_w):
        os.close(fd)
    procs[cid] = Proc(cid, pid, in_w, out_r, err_r)
    send_json("s", cid, {"pid": pid})


class Reader:
    """Reassembles request frames from the non-blocking control channel."""

    def __init__(self, fd):
        self.fd = fd
        self.buf = bytearray()

    def read(self):
        data = os.read(self.fd, 1 << 20)
        if not data:
            return False
        self.buf += data
        while len(self.buf) >= HEADER.size:
            length, kind, cid = HEADER.unpack_from(self.buf)
            end = HEADER.size + length
            if len(self.buf) < end:
                break
            payload = bytes(self.buf[HEADER.size:end])
            del self.buf[:end]
            handle(chr(kind), cid, payload)
        return True


def handle(kind, cid, payload):
    if kind == "S":
        spawn(cid, json.loads(payload))
    elif kind == "P":
        send("p", cid, payload)
    else:
        proc = procs.get(cid)
        if proc is None:
            return
        if kind == "I":
            proc.write(payload)
        elif kind == "E":
            proc.request_eof()
        elif kind == "K":
            req = json.loads(payload)
            proc.signal(int(req.get("sig", signal.SIGTERM)), bool(req.get("group", True)))


def protect():
    """Makes this process non-dumpable: processes of the same uid (everything the workspace runs)
    can then neither ptrace it nor open its pipes through /proc/PID/fd to forge frames."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except Exception as e:  # best effort: the frame parser on the other side is strict anyway
        sys.stderr.write("supervisor: cannot make itself non-dumpable: %s\n" % e)


def main():
    protect()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    fd = inp.fileno()
    os.set_blocking(fd, False)
    reader = Reader(fd)
    sel.register(fd, selectors.EVENT_READ, ("control", reader))
    send_json("R", 0, {"pid": os.getpid()})
    out.flush()
    while True:
        for key, _ in sel.select():
            tag = key.data[0]
            if tag == "control":
                try:
                    alive = reader.read()
                except BlockingIOError:
                    alive = True
                if not alive:
                    for proc in list(procs.values()):
                        proc.signal(signal.SIGKILL, True)
                    return
            elif tag == "pipe":
                _, proc, fd = key.data
                if fd in proc.pipes:
                    proc.pump(fd)
            elif tag == "stdin":
                key.data[1].flush_input()
            elif tag == "exit":
                key.data[1].on_exit()
        out.flush()


if __name__ == "__main__":
    main()
