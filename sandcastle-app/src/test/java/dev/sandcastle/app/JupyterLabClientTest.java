package dev.sandcastle.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * JupyterLab's own kernel client, {@code @jupyterlab/services} from npm driven by Node
 * ({@code src/test/node/jupyterlab-client.mjs}), used as a notebook front end uses it: against
 * {@code sandcastle terminal} with its key, against {@code sandcastle serve} with a local account's
 * token (no user id anywhere: the token says who), and through {@code serve}'s proxy to a remote
 * workspace (there also Open WebUI's engine with a password login). Each time: the binary v1 protocol is chosen, a variable survives between cells, a PNG
 * arrives byte for byte, an error brings its traceback, the stop button interrupts a long sleep,
 * a restart forgets the variable and a shutdown removes the kernel.
 */
@Tag("bwrap")
class JupyterLabClientTest {
  static final Path CLIENTS = Path.of("src", "test", "node").toAbsolutePath();
  static final String KEY = "jupyterlab-key-0123456789";

  @Test
  void jupyterLabWorksAgainstTheSingleWorkspaceServer() throws Exception {
    try (DataDir data = DataDir.create("sandcastle-jlab-terminal");
        Server server = Server.start(Config.load(settings(data.path()), Map.of(), 8000), new PrintWriter(new StringWriter()))) {
      judge(runClient("http://127.0.0.1:" + server.port() + "/", KEY));
    }
  }

  @Test
  void jupyterLabWorksAgainstServeWithAUsersOwnToken() throws Exception {
    try (DataDir data = DataDir.create("sandcastle-jlab-serve");
        Orchestrator server = Orchestrator.start(Config.load(settings(data.path()), Map.of(), 8080), new PrintWriter(new StringWriter()), false)) {
      String url = "http://127.0.0.1:" + server.port();
      String token = signUp(url, "grace@example.com");
      judge(runClient(url + "/", token));
      // The kernel ran in Grace's own workspace, and only there.
      Http grace = new Http(url, Map.of("Authorization", "Bearer " + token));
      assertThat(grace.get("/api/kernels").json()).isEmpty();
      assertThat(server.tenants().list()).extracting(t -> t.tenant().key().userId()).containsOnly(
          grace.get("/api/auth/me").json().path("id").asString());
    }
  }

  @Test
  void jupyterLabWorksThroughServesProxyToARemoteWorkspace() throws Exception {
    try (DataDir upstreamData = DataDir.create("sandcastle-jlab-upstream");
        Server upstream = Server.start(Config.load(settings(upstreamData.path()), Map.of(), 8000), new PrintWriter(new StringWriter()));
        DataDir data = DataDir.create("sandcastle-jlab-static")) {
      Map<Setting, String> settings = settings(data.path());
      settings.put(Setting.API_KEY, "admin-" + KEY);
      settings.put(Setting.BACKEND, "static");
      settings.put(Setting.STATIC_URL, "http://127.0.0.1:" + upstream.port());
      settings.put(Setting.STATIC_KEY, KEY);
      try (Orchestrator proxy = Orchestrator.start(Config.load(settings, Map.of(), 8080), new PrintWriter(new StringWriter()), false)) {
        String url = "http://127.0.0.1:" + proxy.port();
        String token = signUp(url, "ada@example.com");
        judge(runClient(url + "/", token));
        // Open WebUI's engine with a password: the login is the orchestrator's, the kernel the remote workspace's.
        assertThat(new OpenWebUiJupyterEngine(url, new OpenWebUiJupyterEngine.Auth.Password(token)).run("6 * 7").result()).isEqualTo("42");
      }
    }
  }

  static Map<Setting, String> settings(Path data) {
    Map<Setting, String> settings = new EnumMap<>(Setting.class);
    settings.put(Setting.DATA_DIR, data.toString());
    settings.put(Setting.PORT, "0");
    settings.put(Setting.API_KEY, KEY);
    settings.put(Setting.WARM_POOL, "0");
    return settings;
  }

  static String signUp(String url, String email) {
    Http.Response account = new Http(url, Map.of()).post("/api/auth/signup", Map.of("email", email, "name", "Someone", "password", "a-long-password"));
    assertThat(account.status()).as(account.text()).isEqualTo(201);
    return account.json().path("token").asString();
  }

  private static byte[] png;

  /** A small picture with random pixels: whatever arrives must be exactly these bytes. */
  static synchronized byte[] png() throws Exception {
    if (png == null) {
      BufferedImage image = new BufferedImage(7, 5, BufferedImage.TYPE_INT_RGB);
      Random random = new Random();
      for (int x = 0; x < 7; x++) {
        for (int y = 0; y < 5; y++) {
          image.setRGB(x, y, new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256)).getRGB());
        }
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(image, "png", out);
      png = out.toByteArray();
    }
    return png;
  }

  /** Runs the Node client against a server; returns what it saw. */
  static JsonNode runClient(String url, String token) throws Exception {
    assertThat(CLIENTS.resolve("node_modules/@jupyterlab/services")).as("npm ci ran in src/test/node (the Maven build does it)").isDirectory();
    Path result = Files.createTempFile("jupyterlab-client", ".json");
    NodeScript node = NodeScript.run(CLIENTS, List.of("jupyterlab-client.mjs"), Map.of("SANDCASTLE_URL", url, "SANDCASTLE_TOKEN", token,
        "PNG_BASE64", Base64.getEncoder().encodeToString(png()), "RESULT", result.toString()), Duration.ofMinutes(4));
    String output = node.output();
    assertThat(node.ended()).as("the client finished within 4 minutes:\n" + output).isTrue();
    JsonNode seen = Http.JSON.readTree(Files.readString(result));
    Files.deleteIfExists(result);
    assertThat(seen.path("failure").asString("")).as("the client failed; its output:\n" + output).isEmpty();
    assertThat(node.exitCode()).isZero();
    return seen;
  }

  /** What a notebook user would notice, step by step. */
  static void judge(JsonNode seen) throws Exception {
    assertThat(seen.path("protocols").valueStream().map(JsonNode::asString).toList())
        .as("every channels socket (the first, and the one after the restart) spoke the binary protocol")
        .hasSize(2).containsOnly("v1.kernel.websocket.jupyter.org");
    assertThat(seen.path("language").asString()).isEqualTo("python");
    assertThat(seen.path("sum").valueStream().map(JsonNode::asString).toList()).containsExactly("42");
    assertThat(seen.path("png").size()).isEqualTo(1);
    assertThat(Base64.getMimeDecoder().decode(seen.path("png").get(0).asString())).as("the PNG, byte for byte").isEqualTo(png());
    JsonNode error = seen.path("error").get(0);
    assertThat(error.path("ename").asString()).isEqualTo("ZeroDivisionError");
    assertThat(error.path("traceback").asString().replaceAll("\u001b\\[[0-9;]*m", "")).as("the traceback, as shown without colours")
        .contains("return 1 / 0").contains("ZeroDivisionError: division by zero");
    assertThat(seen.path("errorReply").asString()).isEqualTo("error");
    assertThat(seen.path("interrupt").valueStream().map(JsonNode::asString).toList()).containsExactly("KeyboardInterrupt");
    assertThat(seen.path("interruptPrinted").isEmpty()).as("the cell stopped before its print").isTrue();
    assertThat(seen.path("interruptSeconds").asDouble()).as("interrupted long before the 30 s sleep ended").isLessThan(20);
    assertThat(seen.path("afterRestart").valueStream().map(JsonNode::asString).toList()).containsExactly("NameError");
    assertThat(seen.path("listedAfterShutdown").valueStream().map(JsonNode::asString).toList()).doesNotContain(seen.path("kernelId").asString());
  }
}
