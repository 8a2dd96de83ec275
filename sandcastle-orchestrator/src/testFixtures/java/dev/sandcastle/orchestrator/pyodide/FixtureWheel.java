package dev.sandcastle.orchestrator.pyodide;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A pure-Python wheel made by the tests (a zip with the package's files and a {@code .dist-info}
 * with METADATA, WHEEL and RECORD), since no real one can be downloaded here.
 *
 * @param name the distribution name, e.g. {@code sandcastle-fixture}
 */
public record FixtureWheel(String name, String version, List<String> imports, byte[] bytes) {
  /** The wheel's file name: {@code sandcastle_fixture-1.0.0-py3-none-any.whl}. */
  public String fileName() {
    return module(name) + "-" + version + "-py3-none-any.whl";
  }

  public String sha256() {
    return sha256(bytes);
  }

  /** Its entry in a lock file. */
  public PyodideLock.Entry entry() {
    return new PyodideLock.Entry(PyodideLock.normalize(name), name, version, fileName(), sha256(), "site", "package", imports, List.of(), false);
  }

  /** Builds a wheel of these files (path in the wheel to text). */
  public static FixtureWheel build(String name, String version, List<String> imports, Map<String, String> files) {
    String distInfo = module(name) + "-" + version + ".dist-info/";
    Map<String, byte[]> all = new LinkedHashMap<>();
    files.forEach((path, text) -> all.put(path, text.getBytes(StandardCharsets.UTF_8)));
    all.put(distInfo + "METADATA", ("Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version
        + "\nSummary: A package the Sandcastle tests make\n").getBytes(StandardCharsets.UTF_8));
    all.put(distInfo + "WHEEL", "Wheel-Version: 1.0\nGenerator: sandcastle-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        .getBytes(StandardCharsets.UTF_8));
    StringBuilder record = new StringBuilder();
    all.forEach((path, content) -> record.append(path).append(",sha256=")
        .append(Base64.getUrlEncoder().withoutPadding().encodeToString(digest(content))).append(',').append(content.length).append('\n'));
    record.append(distInfo).append("RECORD,,\n");
    all.put(distInfo + "RECORD", record.toString().getBytes(StandardCharsets.UTF_8));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      for (var file : all.entrySet()) {
        zip.putNextEntry(new ZipEntry(file.getKey()));
        zip.write(file.getValue());
        zip.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new FixtureWheel(name, version, imports, out.toByteArray());
  }

  /**
   * The tests' package: {@code sandcastle_fixture} with {@code greet()}, and {@code fake_pyplot()},
   * a stand-in for matplotlib's pyplot (the real one cannot be had offline) that draws a PNG of
   * one colour and, like matplotlib, hands {@code show()} to the backend that {@code MPLBACKEND}
   * names.
   */
  public static FixtureWheel sandcastleFixture() {
    return build("sandcastle-fixture", "1.0.0", List.of("sandcastle_fixture"), Map.of(
        "sandcastle_fixture/__init__.py", """
            \"\"\"A tiny package the Sandcastle tests build and serve from their own package index.\"\"\"
            GREETING = "hello from the fixture package"


            def greet(name="Sandcastle"):
                return GREETING + ", " + name


            def fake_pyplot():
                \"\"\"Installs a stand-in for matplotlib and returns its pyplot.\"\"\"
                from . import _fakempl
                return _fakempl.install()
            """,
        "sandcastle_fixture/_fakempl.py", """
            import importlib
            import os
            import struct
            import sys
            import types
            import zlib


            def _png(width, height, rgb):
                rows = b"".join(b"\\x00" + bytes(rgb) * width for _ in range(height))

                def chunk(kind, data):
                    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

                header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
                return b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


            class Figure:
                dpi = 100

                def __init__(self, number):
                    self.number = number
                    self.points = []

                def get_size_inches(self):
                    return (1.6, 1.2)

                def savefig(self, target, format="png", **kwargs):
                    shade = min(255, 40 * len(self.points))
                    target.write(_png(160, 120, (255, shade, 0)))


            def install():
                figures = {}
                current = []
                pyplot = types.ModuleType("matplotlib.pyplot")

                def figure(num=None):
                    number = num if num is not None else max(figures, default=0) + 1
                    figures.setdefault(number, Figure(number))
                    current[:] = [number]
                    return figures[number]

                def plot(xs, ys, *args, **kwargs):
                    target = figures[current[0]] if current and current[0] in figures else figure()
                    target.points.extend(zip(xs, ys))

                def close(which=None):
                    figures.clear()
                    current.clear()

                def show(*args, **kwargs):
                    backend = os.environ.get("MPLBACKEND", "agg")
                    if backend.startswith("module://"):
                        module = importlib.import_module(backend[len("module://"):])
                        return module.FigureCanvas.manager_class.pyplot_show(*args, **kwargs)

                pyplot.figure = figure
                pyplot.plot = plot
                pyplot.close = close
                pyplot.show = show
                pyplot.get_fignums = lambda: sorted(figures)
                root = types.ModuleType("matplotlib")
                root.pyplot = pyplot
                bases = types.ModuleType("matplotlib.backend_bases")
                bases.FigureManagerBase = type("FigureManagerBase", (), {})
                agg = types.ModuleType("matplotlib.backends.backend_agg")
                agg.FigureCanvasAgg = type("FigureCanvasAgg", (), {})
                backends = types.ModuleType("matplotlib.backends")
                backends.backend_agg = agg
                sys.modules.update({"matplotlib": root, "matplotlib.pyplot": pyplot, "matplotlib.backend_bases": bases,
                                    "matplotlib.backends": backends, "matplotlib.backends.backend_agg": agg})
                return pyplot
            """));
  }

  static String module(String name) {
    return PyodideLock.normalize(name).replace('-', '_');
  }

  public static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(digest(bytes));
  }

  private static byte[] digest(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
