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
# one select loop. It holds no limits itself; the workspace cgroup does.
import errno
import fcntl
import json
import os
import selectors
import signal
import struct
import subprocess
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
    def __init__(self, cid, popen):
        self.cid = cid
        self.popen = popen
        self.open_pipes = 2
        self.exited = False
        self.pending = bytearray()
        self.watching_stdin = False
        self.eof_requested = False
        os.set_blocking(popen.stdin.fileno(), False)
        self.pidfd = os.pidfd_open(popen.pid)
        for pipe, kind in ((popen.stdout, "o"), (popen.stderr, "e")):
            os.set_blocking(pipe.fileno(), False)
            sel.register(pipe.fileno(), selectors.EVENT_READ, ("pipe", self, pipe, kind))
        sel.register(self.pidfd, selectors.EVENT_READ, ("exit", self))

    def pump(self, pipe, kind, drain=False):
        """Reads what the pipe has; returns False once it is closed."""
        fd = pipe.fileno()
        while True:
            try:
                data = os.read(fd, CHUNK)
            except BlockingIOError:
                return True
            except OSError:
                data = b""
            if not data:
                sel.unregister(fd)
                pipe.close()
                self.open_pipes -= 1
                if self.open_pipes == 0:
                    self.maybe_finish()
                return False
            send(kind, self.cid, data)
            if not drain:
                return True

    def on_exit(self):
        sel.unregister(self.pidfd)
        os.close(self.pidfd)
        code = self.popen.wait()
        # Output the process wrote before it ended comes before its exit event.
        for pipe, kind in ((self.popen.stdout, "o"), (self.popen.stderr, "e")):
            if not pipe.closed:
                self.pump(pipe, kind, drain=True)
        self.exited = True
        if code < 0:
            send_json("x", self.cid, {"code": 128 - code, "signal": -code})
        else:
            send_json("x", self.cid, {"code": code, "signal": 0})
        self.close_stdin()
        self.maybe_finish()

    def maybe_finish(self):
        if self.exited and self.open_pipes == 0 and self.cid in procs:
            del procs[self.cid]
            send("c", self.cid)

    def write(self, data):
        """Queues input; a child that does not read it never blocks the supervisor."""
        stdin = self.popen.stdin
        if stdin is None or stdin.closed:
            return
        was_empty = not self.pending
        self.pending += data
        if was_empty:
            self.flush_input()

    def flush_input(self):
        stdin = self.popen.stdin
        fd = stdin.fileno()
        try:
            while self.pending:
                n = os.write(fd, self.pending)
                del self.pending[:n]
        except BlockingIOError:
            if not self.watching_stdin:
                sel.register(fd, selectors.EVENT_WRITE, ("stdin", self))
                self.watching_stdin = True
            return
        except OSError:
            self.pending.clear()
            self.close_stdin()
            return
        if self.watching_stdin:
            sel.unregister(fd)
            self.watching_stdin = False
        if self.eof_requested:
            self.close_stdin()

    def request_eof(self):
        self.eof_requested = True
        if not self.pending:
            self.close_stdin()

    def close_stdin(self):
        stdin = self.popen.stdin
        if stdin is not None and not stdin.closed:
            if self.watching_stdin:
                sel.unregister(stdin.fileno())
                self.watching_stdin = False
            try:
                stdin.close()
            except OSError:
                pass

    def signal(self, sig, group):
        try:
            if group:
                os.killpg(self.popen.pid, sig)
            else:
                os.kill(self.popen.pid, sig)
        except ProcessLookupError:
            pass


def spawn(cid, req):
    try:
        popen = subprocess.Popen(
            req["argv"],
            cwd=req.get("cwd") or None,
            env=req.get("env") or {},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            close_fds=True,
            bufsize=0,
        )
    except OSError as e:
        reason = "process limit reached" if e.errno == errno.EAGAIN else (e.strerror or str(e))
        send_json("f", cid, {"error": reason, "errno": e.errno or 0})
        return
    except Exception as e:  # bad request shape; report, never die
        send_json("f", cid, {"error": str(e), "errno": 0})
        return
    procs[cid] = Proc(cid, popen)
    send_json("s", cid, {"pid": popen.pid})


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


def main():
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
                _, proc, pipe, kind = key.data
                if not pipe.closed:
                    proc.pump(pipe, kind)
            elif tag == "stdin":
                key.data[1].flush_input()
            elif tag == "exit":
                key.data[1].on_exit()
        out.flush()


if __name__ == "__main__":
    main()
