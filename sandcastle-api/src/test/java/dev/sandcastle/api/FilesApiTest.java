package dev.sandcastle.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The file endpoints over HTTP, against a real workspace. */
@Tag("bwrap")
class FilesApiTest {
  static TestServer server;
  static Path outside;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.bwrap();
    outside = Files.createTempDirectory("sandcastle-outside");
    Files.writeString(outside.resolve("secret.txt"), "top secret\n");
    server.run("mkdir -p escape && ln -s " + outside + " escape/out && ln -s /etc/passwd passwd-link", 10);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
    Files.deleteIfExists(outside.resolve("secret.txt"));
    Files.deleteIfExists(outside);
  }

  @Test
  void writeReadListAndLineRanges() {
    assertThat(server.post("/files/write", Map.of("path", "docs/a.txt", "content", "one\ntwo\nthree\n")).json().path("size").asLong()).isEqualTo(14);
    JsonNode read = server.get("/files/read?path=docs/a.txt&start_line=2&end_line=3").json();
    assertThat(read.path("content").asString()).isEqualTo("two\nthree\n");
    assertThat(read.path("total_lines").asInt()).isEqualTo(3);
    JsonNode list = server.get("/files/list?directory=docs").json();
    assertThat(list.path("dir").asString()).isEqualTo("/home/user/docs");
    assertThat(list.path("entries").get(0).path("name").asString()).isEqualTo("a.txt");
    assertThat(list.path("entries").get(0).path("type").asString()).isEqualTo("file");
    // Files the server writes belong to the workspace user: a command can change them.
    assertThat(TestServer.output(server.run("echo four >> docs/a.txt && wc -l < docs/a.txt", 10))).isEqualTo("4\n");
    assertThat(server.get("/files/display?path=docs/a.txt").json().path("exists").asBoolean()).isTrue();
    assertThat(server.get("/files/display?path=docs/none.txt").json().path("exists").asBoolean()).isFalse();
  }

  @Test
  void replaceNeedsAUniqueTarget() {
    server.post("/files/write", Map.of("path", "r.txt", "content", "a a b\n"));
    TestServer.Response ambiguous = server.post("/files/replace", Map.of("path", "r.txt",
        "replacements", List.of(Map.of("target", "a", "replacement", "x"))));
    assertThat(ambiguous.status()).isEqualTo(400);
    assertThat(ambiguous.json().path("detail").asString()).contains("2");
    TestServer.Response missing = server.post("/files/replace", Map.of("path", "r.txt",
        "replacements", List.of(Map.of("target", "zzz", "replacement", "x"))));
    assertThat(missing.status()).isEqualTo(400);
    assertThat(server.post("/files/replace", Map.of("path", "r.txt",
        "replacements", List.of(Map.of("target", "a", "replacement", "x", "allow_multiple", true)))).status()).isEqualTo(200);
    assertThat(server.get("/files/read?path=r.txt").json().path("content").asString()).isEqualTo("x x b\n");
  }

  @Test
  void grepAndGlobFindFiles() {
    server.post("/files/write", Map.of("path", "src/main.py", "content", "import os\nprint('Hello')\n"));
    server.post("/files/write", Map.of("path", "src/util.py", "content", "def hello():\n    pass\n"));
    JsonNode grep = server.get("/files/grep?query=hello&path=src&case_insensitive=true").json();
    assertThat(grep.path("matches").findValuesAsString("file")).contains("/home/user/src/main.py", "/home/user/src/util.py");
    JsonNode literal = server.get("/files/grep?query=" + TestServer.q("print(") + "&path=src&regex=false").json();
    assertThat(literal.path("matches")).hasSize(1);
    assertThat(server.get("/files/grep?query=" + TestServer.q("print(") + "&path=src").status()).isEqualTo(400);
    JsonNode glob = server.get("/files/glob?pattern=" + TestServer.q("**/*.py") + "&path=src").json();
    assertThat(glob.path("matches")).hasSize(2);
  }

  @Test
  void mkdirMoveDeleteAndTheirErrors() {
    assertThat(server.post("/files/mkdir", Map.of("path", "m/n")).json().path("path").asString()).isEqualTo("/home/user/m/n");
    server.post("/files/write", Map.of("path", "m/f.txt", "content", "x"));
    assertThat(server.post("/files/move", Map.of("source", "m/f.txt", "destination", "m/n/g.txt")).status()).isEqualTo(200);
    assertThat(server.post("/files/move", Map.of("source", "m/f.txt", "destination", "m/h.txt")).status()).isEqualTo(404);
    server.post("/files/write", Map.of("path", "m/h.txt", "content", "y"));
    assertThat(server.post("/files/move", Map.of("source", "m/h.txt", "destination", "m/n/g.txt")).status()).isEqualTo(409);
    JsonNode deleted = server.delete("/files/delete?path=m").json();
    assertThat(deleted.path("type").asString()).isEqualTo("directory");
    assertThat(server.get("/files/display?path=m").json().path("exists").asBoolean()).isFalse();
    assertThat(server.delete("/files/delete?path=m").status()).isEqualTo(404);
  }

  @Test
  void imagesComeBackAsBytesAndOtherBinariesAre415() throws Exception {
    byte[] png = java.util.Base64.getDecoder().decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");
    upload("pics", "dot.png", png);
    TestServer.Response image = server.get("/files/read?path=pics/dot.png");
    assertThat(image.status()).isEqualTo(200);
    assertThat(image.contentType()).isEqualTo("image/png");
    assertThat(image.bytes()).isEqualTo(png);
    upload("pics", "blob.bin", new byte[] {0, 1, 2, 3, 0, (byte) 0xff});
    TestServer.Response binary = server.get("/files/read?path=pics/blob.bin");
    assertThat(binary.status()).isEqualTo(415);
    assertThat(binary.contentType()).startsWith("application/problem+json");
    TestServer.Response view = server.get("/files/view?path=pics/blob.bin");
    assertThat(view.bytes()).hasSize(6);
  }

  @Test
  void anUploadNamedWithDotsLandsInsideTheWorkspace() throws Exception {
    TestServer.Response response = upload(".", "../../x.txt", "payload".getBytes());
    assertThat(response.status()).isEqualTo(200);
    assertThat(response.json().path("path").asString()).isEqualTo("/home/user/x.txt");
    assertThat(server.home.resolve("x.txt")).hasContent("payload");
    assertThat(server.root.resolve("x.txt")).doesNotExist();
  }

  @Test
  void anUploadLargerThanTheInMemoryPartIsSpooledAndStillArrives() {
    // Parts over 256 KiB go to a server-owned spool file, which the workspace owner cannot open.
    byte[] content = new byte[1 << 20];
    new java.util.Random(7).nextBytes(content);
    assertThat(upload(".", "spooled.bin", content).status()).isEqualTo(200);
    assertThat(server.home.resolve("spooled.bin")).hasBinaryContent(content);
  }

  @Test
  void oversizedRequestsAre413() {
    TestServer.Response write = server.post("/files/write", Map.of("path", "big.txt", "content", "x".repeat(2 << 20)));
    assertThat(write.status()).isEqualTo(413);
    assertThat(write.contentType()).startsWith("application/problem+json");
    TestServer.Response upload = upload(".", "big.bin", new byte[5 << 20]);
    assertThat(upload.status()).isEqualTo(413);
    assertThat(server.get("/files/display?path=big.bin").json().path("exists").asBoolean()).isFalse();
  }

  @Test
  void archiveZipsFiles() throws Exception {
    server.post("/files/write", Map.of("path", "z/one.txt", "content", "1"));
    server.post("/files/write", Map.of("path", "z/two.txt", "content", "22"));
    TestServer.Response zip = server.post("/files/archive", Map.of("paths", List.of("z")));
    assertThat(zip.contentType()).isEqualTo("application/zip");
    Map<String, String> entries = new HashMap<>();
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip.bytes()))) {
      for (var entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
        if (!entry.isDirectory()) {
          entries.put(entry.getName(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
      }
    }
    assertThat(entries).containsEntry("z/one.txt", "1").containsEntry("z/two.txt", "22");
  }

  @Test
  void theSessionDirectoryAppliesToFilesAndCommands() {
    server.post("/files/mkdir", Map.of("path", "proj"));
    TestServer.Response set = server.send(server.request("/files/cwd").header("X-Session-Id", "chat-1")
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"path\":\"proj\"}")).build());
    assertThat(set.json().path("cwd").asString()).isEqualTo("/home/user/proj");
    TestServer.Response run = server.send(server.request("/execute?wait=5").header("X-Session-Id", "chat-1")
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"command\":\"pwd\"}")).build());
    assertThat(TestServer.output(run.json())).isEqualTo("/home/user/proj\n");
    assertThat(TestServer.output(server.run("pwd", 5))).isEqualTo("/home/user\n");
    JsonNode cwd = server.send(server.request("/files/cwd").header("X-Session-Id", "chat-1").GET().build()).json();
    assertThat(cwd.path("cwd").asString()).isEqualTo("/home/user/proj");
    assertThat(cwd.path("home").asString()).isEqualTo("/home/user");
  }

  @Test
  void linksOutOfTheHomeAreRefusedByEveryFileEndpoint() throws Exception {
    for (String path : List.of("escape/out/secret.txt", "passwd-link")) {
      String p = TestServer.q(path);
      assertRefused(server.get("/files/read?path=" + p), path);
      assertRefused(server.get("/files/view?path=" + p), path);
      assertRefused(server.get("/files/display?path=" + p), path);
      assertRefused(server.post("/files/write", Map.of("path", path, "content", "pwned")), path);
      assertRefused(server.post("/files/replace", Map.of("path", path, "replacements", List.of(Map.of("target", "top", "replacement", "x")))), path);
      if (!path.equals("passwd-link")) { // deleting or renaming a link itself is fine: see below
        assertRefused(server.delete("/files/delete?path=" + p), path);
        assertRefused(server.post("/files/move", Map.of("source", path, "destination", "stolen.txt")), path);
      }
      assertRefused(server.post("/files/archive", Map.of("paths", List.of(path))), path);
    }
    for (String dir : List.of("escape/out", outside.toString())) {
      String d = TestServer.q(dir);
      assertRefused(server.get("/files/list?directory=" + d), dir);
      assertRefused(server.post("/files/mkdir", Map.of("path", dir + "/newdir")), dir);
      assertRefused(server.get("/files/grep?query=secret&path=" + d), dir);
      assertRefused(server.get("/files/glob?pattern=*&path=" + d), dir);
      assertRefused(server.post("/files/cwd", Map.of("path", dir)), dir);
      assertRefused(upload(dir, "dropped.txt", "x".getBytes()), dir);
    }
    assertRefused(server.get("/files/read?path=" + TestServer.q(outside.resolve("secret.txt").toString())), "the host's own path");
    assertRefused(server.post("/files/move", Map.of("source", "r.txt", "destination", "escape/out/moved.txt")), "move into link");
    // Deleting a link removes the link, never what it points to.
    assertThat(server.delete("/files/delete?path=passwd-link").json().path("type").asString()).isEqualTo("symlink");
    assertThat(Path.of("/etc/passwd")).exists();
    // Searching the whole workspace does not follow the link out.
    JsonNode grep = server.get("/files/grep?query=secret&path=.").json();
    assertThat(grep.path("matches").findValuesAsString("file")).noneMatch(f -> f.contains("secret.txt"));
    assertThat(outside.resolve("secret.txt")).hasContent("top secret\n");
    try (var stream = Files.list(outside)) {
      assertThat(stream.toList()).containsExactly(outside.resolve("secret.txt"));
    }
  }

  @Test
  void slashIsTheSandboxsOwnRootReadOnlyOutsideTheHome() throws Exception {
    // Open WebUI's file browser asks where to start: the home, as Open Terminal answers by default.
    JsonNode cwd = server.get("/files/cwd").json();
    assertThat(cwd.path("root").path("path").asString()).isEqualTo("/home/user");
    assertThat(cwd.path("root").path("label").asString()).isEqualTo("Home");
    JsonNode root = server.get("/files/list?directory=/").json();
    assertThat(root.path("dir").asString()).isEqualTo("/");
    Map<String, String> types = new HashMap<>();
    root.path("entries").forEach(e -> types.put(e.path("name").asString(), e.path("type").asString()));
    assertThat(types).containsEntry("home", "directory").containsEntry("usr", "directory").containsEntry("etc", "directory")
        .containsEntry("tmp", "directory").containsEntry("mnt", "directory");
    assertThat(types.keySet()).as("only what the sandbox has, not the host's root").doesNotContain("root", "srv", "boot");
    assertThat(server.get("/files/list?directory=/home").json().path("entries").findValuesAsString("name")).containsExactly("user");
    assertThat(server.get("/files/list?directory=..").json().path("dir").asString()).isEqualTo("/home");

    // A file outside the home reads as the sandbox's processes read it: its /etc/passwd is the sandbox's own.
    String passwd = server.get("/files/read?path=/etc/passwd").json().path("content").asString();
    assertThat(passwd).isEqualTo(TestServer.output(server.run("cat /etc/passwd", 10))).contains("Sandcastle user");
    assertThat(server.get("/files/view?path=/usr/bin/env").status()).isEqualTo(200);
    assertThat(server.get("/files/display?path=/etc/os-release").json().path("exists").asBoolean()).isTrue();
    // Links of the sandbox are followed inside it: /bin is usr/bin there, /mnt/uploads the home's uploads.
    server.post("/files/write", Map.of("path", "uploads/a.csv", "content", "1,2\n"));
    assertThat(server.get("/files/read?path=/mnt/uploads/a.csv").json().path("content").asString()).isEqualTo("1,2\n");
    assertThat(server.get("/files/list?directory=/bin").json().path("entries").findValuesAsString("name")).contains("env");

    // Read-only outside the home: every change is a 403 that says so.
    for (TestServer.Response refused : List.of(
        server.post("/files/write", Map.of("path", "/etc/motd", "content", "pwned")),
        server.post("/files/mkdir", Map.of("path", "/usr/evil")),
        server.delete("/files/delete?path=/usr/bin/env"),
        server.post("/files/move", Map.of("source", "/etc/passwd", "destination", "stolen")),
        server.post("/files/replace", Map.of("path", "/etc/passwd", "replacements", List.of(Map.of("target", "user", "replacement", "x")))),
        upload("/tmp", "dropped.txt", "x".getBytes()))) {
      assertThat(refused.status()).as(refused.text()).isEqualTo(403);
      assertThat(refused.json().path("detail").asString()).contains("read-only");
    }
    assertThat(Path.of("/usr/bin/env")).exists();

    // What the sandbox makes for itself lives only inside it: its /tmp is not the host's.
    server.run("echo inside > /tmp/only-inside.txt", 10);
    assertThat(server.get("/files/list?directory=/tmp").json().path("entries").findValuesAsString("name"))
        .doesNotContain(server.root.getFileName().toString());
    assertThat(server.get("/files/read?path=/tmp/only-inside.txt").status()).isEqualTo(404);
    // A directory there is a fine working directory for commands and sessions.
    assertThat(TestServer.output(server.send(HttpRequest.newBuilder(server.uri("/execute?wait=10"))
        .header("Authorization", "Bearer " + TestServer.KEY).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"command\":\"pwd\",\"cwd\":\"/tmp\"}")).build()).json())).isEqualTo("/tmp\n");
    assertThat(server.send(HttpRequest.newBuilder(server.uri("/files/cwd")).header("Authorization", "Bearer " + TestServer.KEY)
        .header("X-Session-Id", "browse").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"path\":\"/usr\"}")).build()).json().path("cwd").asString()).isEqualTo("/usr");
  }

  private static void assertRefused(TestServer.Response response, String what) {
    assertThat(response.status()).as("%s -> %s", what, response.text()).isIn(400, 403, 404);
    assertThat(response.text()).doesNotContain("top secret").doesNotContain("root:x:0");
    assertThat(response.contentType()).startsWith("application/problem+json");
  }

  private static TestServer.Response upload(String directory, String name, byte[] content) {
    String boundary = "----sandcastle" + System.nanoTime();
    var body = new java.io.ByteArrayOutputStream();
    body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name
        + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.writeBytes(content);
    body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return server.send(server.request("/files/upload?directory=" + TestServer.q(directory))
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build());
  }
}
