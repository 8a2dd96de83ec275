# Sandcastle workspace supervisor.
#
# Runs as the first process inside a workspace sandbox and spawns commands on
# request, streaming their output back to the server over one multiplexed
# channel: frames on file descriptors 3 (requests) and 4 (events), set up by the
# launcher; stdin and stdout are /dev/null. With "--seccomp-fd N" (no bubblewrap) it first
# installs the workspace's system-call filter, read from fd N, on itself, or exits.
#
# Frame: 4-byte big-endian payload length, 1-byte kind, 4-byte big-endian
# channel id, payload. Channel 0 is the supervisor itself.
#
# Requests (server -> supervisor)
#   S spawn   JSON {argv, cwd, env, pty?}  start a process in its own session; with
#                                          pty {cols, rows, window} on a new terminal (below)
#   I input   raw bytes                    write to the process's stdin (a terminal: its keyboard)
#   E eof     -                            close the process's stdin (ignored for a terminal)
#   K signal  JSON {sig, group, session?}  signal the process (group: its process group;
#                                          session: every process of its session)
#   Z resize  JSON {cols, rows}            set a terminal's size; its foreground job gets SIGWINCH
#                                          (also at the same size: a new client wants a redraw)
#   A ack     4-byte big-endian count      the server consumed that many bytes of a terminal's output
#   P ping    any bytes                    answered with p and the same bytes
# Events (supervisor -> server)
#   R ready   JSON {pid}                   once, at start
#   s started JSON {pid}                   spawn succeeded
#   f failed  JSON {error}                 spawn failed; no other event follows
#   o / e     raw bytes                    stdout / stderr of the process (a terminal: o only)
#   x exit    JSON {code, signal}          the process exited (output read so far sent first)
#   c closed  -                            every output pipe reached end of file
#   p pong    the ping's bytes
#
# Terminals: a spawn with "pty" opens a pseudo-terminal inside the sandbox and starts the
# process with the terminal as stdin, stdout and stderr, as the leader of a new session with the
# terminal as its controlling tty (fork + setsid + TIOCSCTTY, since posix_spawn cannot set one).
# Its output is flow-controlled: once "window" bytes are sent and not yet acknowledged with A,
# the supervisor stops reading the terminal (the program then blocks in write, as behind a slow
# ssh link) until the server catches up. When the process exits, what the terminal still holds
# is sent (up to a bound), then the terminal is closed (hanging up what still uses it): x, then c.
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
import termios
import time

HEADER = struct.Struct(">IBI")
CHUNK = 65536
MAX_PENDING_INPUT = 1 << 20  # input a process has not read yet; beyond it, input is dropped

# The channel to the server: fds 3 (requests) and 4 (events), set up by the launcher; they must
# not leak into the processes this supervisor starts.
os.set_inheritable(3, False)
os.set_inheritable(4, False)
out = os.fdopen(4, "wb", buffering=1 << 16)
inp = os.fdopen(3, "rb", buffering=0)
sel = selectors.DefaultSelector()
procs = {}  # channel id -> Proc


def send(kind, cid, payload=b""):
    out.write(HEADER.pack(len(payload), ord(kind), cid))
    if payload:
        out.write(payload)


def send_json(kind, cid, obj):
    send(kind, cid, json.dumps(obj, separators=(",", ":")).encode())


# A child's exit reaches the select loop through a pidfd where the kernel has pidfd_open (Linux
# 5.3+). Where it has not (gVisor, older kernels: found out once at start), SIGCHLD wakes the loop
# through a pipe instead, and every child still running is polled with waitpid(WNOHANG).
PIDFDS = True
unreaped = {}  # pid -> Proc or PtyProc, children watched through SIGCHLD


def pidfds_work():
    try:
        os.close(os.pidfd_open(os.getpid()))
        return True
    except (AttributeError, OSError):  # AttributeError: a Python before 3.9
        return False


def watch_exit(proc):
    """Tells the select loop about the child's exit when it comes."""
    if PIDFDS:
        proc.pidfd = os.pidfd_open(proc.pid)
        sel.register(proc.pidfd, selectors.EVENT_READ, ("exit", proc))
    else:
        unreaped[proc.pid] = proc


def reap_pidfd(proc):
    """The exit status of a child whose pidfd became readable."""
    sel.unregister(proc.pidfd)
    os.close(proc.pidfd)
    return os.waitpid(proc.pid, 0)[1]


def reap_signalled():
    """After a SIGCHLD: the children that ended, reaped and reported."""
    for pid, proc in list(unreaped.items()):
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # reaped elsewhere: nothing to report
            del unreaped[pid]
            continue
        if done:
            del unreaped[pid]
            proc.on_exit(status)


def watch_sigchld():
    """Wakes the select loop on SIGCHLD: the signal writes a byte into a pipe the loop reads."""
    r, w = os.pipe()
    os.set_blocking(r, False)
    os.set_blocking(w, False)
    signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    sel.register(r, selectors.EVENT_READ, ("sigchld", r))


class Proc:
    """A child process: its pid, how its exit is watched, and the raw pipe fds."""

    def __init__(self, cid, pid, stdin, stdout, stderr):
        self.cid = cid
        self.pid = pid
        self.stdin = stdin
        self.open_pipes = 2
        self.exited = False
        self.pending = bytearray()
        self.watching_stdin = False
        self.eof_requested = False
        self.pipes = {}
        for fd, kind in ((stdout, "o"), (stderr, "e")):
            os.set_blocking(fd, False)
            self.pipes[fd] = kind
            sel.register(fd, selectors.EVENT_READ, ("pipe", self, fd))
        os.set_blocking(stdin, False)
        watch_exit(self)

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

    def on_exit(self, status=None):
        if status is None:
            status = reap_pidfd(self)
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
        self.pending += data[:max(0, MAX_PENDING_INPUT - len(self.pending))]
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
            if group and sig == signal.SIGKILL:
                kill_group(self.pid)
            elif group:
                os.killpg(self.pid, sig)
            else:
                os.kill(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def kill_group(pgid, budget=1.0):
    """SIGKILLs a process group until no live member is left (or the budget is spent).

    A fork bomb's members are forking all the time; killing again at once, until none is left,
    ends it before it can grow back. The command's own leader stays in the group as a zombie
    until the select loop reaps it, so "empty" means: no member that is not a zombie.
    """
    deadline = time.monotonic() + budget
    while True:
        os.killpg(pgid, signal.SIGKILL)  # raises ProcessLookupError once the group is gone
        if not live_members(pgid) or time.monotonic() > deadline:
            return
        os.sched_yield()


def live_members(pgid):
    """Pids in the process group that are not zombies (this sandbox has its own /proc)."""
    members = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/" + name + "/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != b"Z":
            members.append(int(name))
    return members


# Signals the supervisor ignores or handles are reset to their defaults in children.
DEFAULT_SIGNALS = (signal.SIGINT, signal.SIGPIPE, signal.SIGQUIT, signal.SIGXFSZ, signal.SIGTERM)


def spawn(cid, req):
    fds = []
    try:
        argv = [str(a) for a in req["argv"]]
        env = {str(k): str(v) for k, v in (req.get("env") or {}).items()}
        if req.get("pty") is not None:
            spawn_pty(cid, req, argv, env, req["pty"])
            return
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


PTY_DRAIN_LIMIT = 1 << 20  # output of an ended terminal sent at most; the rest is dropped
ACK = struct.Struct(">I")


def set_size(fd, cols, rows):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def session_members(sid):
    """Pids of every process in session sid, found in /proc (the sandbox's own process tree)."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/" + name + "/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 3 and int(fields[3]) == sid:
            pids.append(int(name))
    return pids


class PtyProc:
    """A process on a pseudo-terminal: the master end, read with flow control, carries both ways."""

    def __init__(self, cid, pid, master, window):
        self.cid = cid
        self.pid = pid
        self.master = master
        self.window = window
        self.unacked = 0
        self.pending = bytearray()
        self.readable = True   # false once the terminal hung up (no process has it open)
        self.events = 0
        os.set_blocking(master, False)
        watch_exit(self)
        self.update()

    def update(self):
        """Registers the master for what it waits for: output (unless paused), room for input."""
        if self.master is None:
            return
        events = 0
        if self.readable and (self.window <= 0 or self.unacked < self.window):
            events |= selectors.EVENT_READ
        if self.pending:
            events |= selectors.EVENT_WRITE
        if events == self.events:
            return
        if self.events == 0:
            sel.register(self.master, events, ("pty", self))
        elif events == 0:
            sel.unregister(self.master)
        else:
            sel.modify(self.master, events, ("pty", self))
        self.events = events

    def on_ready(self, events):
        if self.master is None:
            return
        if events & selectors.EVENT_WRITE:
            self.flush_input()
        if events & selectors.EVENT_READ:
            self.pump()
        self.update()

    def pump(self, limit=CHUNK):
        """Sends up to limit bytes of output; returns how many it sent."""
        sent = 0
        while sent < limit and self.master is not None:
            try:
                data = os.read(self.master, min(CHUNK, limit - sent))
            except BlockingIOError:
                break
            except OSError:  # EIO: no process has the terminal open any more
                data = b""
            if not data:
                self.readable = False
                break
            send("o", self.cid, data)
            sent += len(data)
            self.unacked += len(data)
        return sent

    def ack(self, count):
        self.unacked = max(0, self.unacked - count)
        self.update()

    def write(self, data):
        if self.master is None:
            return
        self.pending += data[:max(0, MAX_PENDING_INPUT - len(self.pending))]
        self.flush_input()
        self.update()

    def flush_input(self):
        try:
            while self.pending:
                n = os.write(self.master, self.pending)
                del self.pending[:n]
        except BlockingIOError:
            pass
        except OSError:
            self.pending.clear()

    def resize(self, cols, rows):
        """Sets the size. The kernel signals SIGWINCH only when it changes; at the same size the
        foreground job is signalled here, so that a full-screen program redraws its screen for a
        client that has just (re)attached."""
        if self.master is None:
            return
        try:
            old = fcntl.ioctl(self.master, termios.TIOCGWINSZ, bytes(8))
            set_size(self.master, cols, rows)
            if old[:4] == struct.pack("HH", rows, cols):
                os.killpg(os.tcgetpgrp(self.master), signal.SIGWINCH)
        except OSError:
            pass

    def request_eof(self):
        pass

    def signal(self, sig, group, session=False):
        """Signals the process, its process group, or (session) every process of its session."""
        if not session:
            Proc.signal(self, sig, group)
            return
        for pid in session_members(self.pid) or [self.pid]:
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                pass

    def on_exit(self, status=None):
        if status is None:
            status = reap_pidfd(self)
        # What the program wrote before it ended comes before its exit event, within a bound:
        # a background job that keeps the terminal busy cannot hold the exit back.
        self.pump(PTY_DRAIN_LIMIT)
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            send_json("x", self.cid, {"code": 128 + sig, "signal": sig})
        else:
            send_json("x", self.cid, {"code": os.WEXITSTATUS(status), "signal": 0})
        if self.events:
            sel.unregister(self.master)
            self.events = 0
        os.close(self.master)  # hangs up the terminal: what still uses it gets SIGHUP / EIO
        self.master = None
        del procs[self.cid]
        send("c", self.cid)


def spawn_pty(cid, req, argv, env, size):
    cols = int(size.get("cols", 80))
    rows = int(size.get("rows", 24))
    window = int(size.get("window", 0))
    cwd = req.get("cwd") or "/"
    master, slave = os.openpty()
    try:
        set_size(master, cols, rows)
        err_r, err_w = os.pipe()
    except OSError:
        os.close(master)
        os.close(slave)
        raise
    try:
        pid = os.fork()
    except OSError:
        for fd in (master, slave, err_r, err_w):
            os.close(fd)
        raise
    if pid == 0:  # the child: set up the terminal and exec; it never returns to the loop
        try:
            try:
                os.close(err_r)
                os.close(master)
                os.setsid()
                fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
                for fd in (0, 1, 2):
                    os.dup2(slave, fd)
                if slave > 2:
                    os.close(slave)
                for sig in DEFAULT_SIGNALS:
                    signal.signal(sig, signal.SIG_DFL)
                os.chdir(cwd)
                if "/" in argv[0]:
                    os.execve(argv[0], argv, env)
                else:
                    os.execvpe(argv[0], argv, env)
            except OSError as e:
                os.write(err_w, struct.pack(">i", e.errno or 0) + (e.strerror or str(e)).encode()[:200])
            except BaseException as e:
                os.write(err_w, struct.pack(">i", 0) + str(e).encode()[:200])
        finally:
            os._exit(127)
    os.close(slave)
    os.close(err_w)
    report = bytearray()
    while True:  # closes (O_CLOEXEC) when the child execs; holds the error when it could not
        try:
            chunk = os.read(err_r, 256)
        except InterruptedError:
            continue
        if not chunk:
            break
        report += chunk
    os.close(err_r)
    if report:
        os.close(master)
        os.waitpid(pid, 0)
        code = struct.unpack_from(">i", report)[0] if len(report) >= 4 else 0
        error = OSError(code, report[4:].decode(errors="replace"))
        raise error
    procs[cid] = PtyProc(cid, pid, master, window)
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
            if req.get("session") and isinstance(proc, PtyProc):
                proc.signal(int(req.get("sig", signal.SIGTERM)), True, session=True)
            else:
                proc.signal(int(req.get("sig", signal.SIGTERM)), bool(req.get("group", True)))
        elif kind == "Z" and isinstance(proc, PtyProc):
            req = json.loads(payload)
            proc.resize(int(req["cols"]), int(req["rows"]))
        elif kind == "A" and isinstance(proc, PtyProc) and len(payload) == ACK.size:
            proc.ack(ACK.unpack(payload)[0])


def protect():
    """Makes this process non-dumpable: processes of the same uid (everything the workspace runs)
    can then neither ptrace it nor open its pipes through /proc/PID/fd to forge frames."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except Exception as e:  # best effort: the frame parser on the other side is strict anyway
        sys.stderr.write("supervisor: cannot make itself non-dumpable: %s\n" % e)


def confine(fd):
    """Installs the workspace's system-call filter, read from fd, on this process and so on all it
    starts (--sandbox none, e.g. inside a container; bwrap installs it itself otherwise). Without
    the filter the supervisor does not serve: it exits, and the server reports the sandbox down."""
    import ctypes

    program = bytearray()
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        program += chunk
    os.close(fd)

    class SockFprog(ctypes.Structure):  # struct sock_fprog
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    code = (ctypes.c_char * len(program)).from_buffer(program)
    fprog = SockFprog(len(program) // 8, ctypes.addressof(code))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
    if not program or len(program) % 8:
        problem = "the filter is %d bytes, not whole instructions" % len(program)
    elif libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        problem = "no_new_privs: " + os.strerror(ctypes.get_errno())
    elif libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0) != 0:
        problem = "seccomp: " + os.strerror(ctypes.get_errno())
    else:
        return
    sys.stderr.write("supervisor: cannot install the system-call filter (%s); not serving\n" % problem)
    sys.stderr.flush()
    os._exit(70)


def main():
    global PIDFDS
    if sys.argv[1:2] == ["--seccomp-fd"]:
        confine(int(sys.argv[2]))
    protect()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    PIDFDS = pidfds_work()
    if not PIDFDS:
        watch_sigchld()
    fd = inp.fileno()
    os.set_blocking(fd, False)
    reader = Reader(fd)
    sel.register(fd, selectors.EVENT_READ, ("control", reader))
    send_json("R", 0, {"pid": os.getpid()})
    out.flush()
    while True:
        for key, events in sel.select():
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
            elif tag == "pty":
                key.data[1].on_ready(events)
            elif tag == "exit":
                key.data[1].on_exit()
            elif tag == "sigchld":
                try:
                    while os.read(key.data[1], 512):
                        pass
                except BlockingIOError:
                    pass
                reap_signalled()
        out.flush()


if __name__ == "__main__":
    main()
