package dev.sandcastle.orchestrator.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sandcastle.core.errors.Unavailable;
import dev.sandcastle.orchestrator.db.DatabaseContract;
import dev.sandcastle.orchestrator.tenant.Tenant;
import dev.sandcastle.orchestrator.tenant.TenantKey;
import dev.sandcastle.orchestrator.tenant.TenantRepository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

abstract class KeyRotationContract extends DatabaseContract {
  static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  Path keyDir;
  Path keyFile;
  KeyRing ring;
  TenantRepository tenants;

  @BeforeEach
  void setUp() throws IOException {
    keyDir = Files.createTempDirectory("sandcastle-keys-");
    keyFile = keyDir.resolve("master.key");
    ring = KeyRing.load(Optional.empty(), keyFile);
    tenants = new TenantRepository(db);
  }

  @AfterEach
  void removeKeys() throws IOException {
    try (var files = Files.list(keyDir)) {
      for (Path file : files.toList()) {
        Files.delete(file);
      }
    }
    Files.delete(keyDir);
  }

  Tenant tenantWithKey(String user, String apiKey) {
    Tenant tenant = tenants.insert(new TenantKey(user, "default", "default"), "docker", T0);
    Tenant withKey = tenant.withInstance("c-" + user, "n-" + user, "10.0.0.1", 8000,
        apiKey.isEmpty() ? "" : ring.encrypt(apiKey, TenantRepository.apiKeyAssociatedData(tenant.id())), T0);
    tenants.update(withKey);
    return withKey;
  }

  String apiKeyOf(Tenant tenant) {
    String ciphertext = tenants.findById(tenant.id()).orElseThrow().apiKeyCiphertext();
    return ring.decrypt(ciphertext, TenantRepository.apiKeyAssociatedData(tenant.id()));
  }

  @Test
  void rotationReencryptsEveryApiKeyUnderTheNewKeyId() {
    List<Tenant> withKeys = List.of(tenantWithKey("alice", "key-a"), tenantWithKey("bob", "key-b"), tenantWithKey("carol", "key-c"));
    Tenant keyless = tenantWithKey("dave", "");
    String oldId = ring.activeKeyId();

    ring.rotate(keyFile);
    int rewritten = KeyRotation.reencryptTenantApiKeys(tenants, ring);

    assertThat(rewritten).isEqualTo(3);
    for (Tenant tenant : withKeys) {
      String ciphertext = tenants.findById(tenant.id()).orElseThrow().apiKeyCiphertext();
      assertThat(KeyRing.keyIdOf(ciphertext)).isEqualTo(ring.activeKeyId()).isNotEqualTo(oldId);
    }
    assertThat(withKeys).extracting(this::apiKeyOf).containsExactly("key-a", "key-b", "key-c");
    assertThat(tenants.findById(keyless.id()).orElseThrow().apiKeyCiphertext()).isEmpty();
    assertThat(KeyRotation.reencryptTenantApiKeys(tenants, ring)).isZero();

    // After the rotation the old key can go: a ring with only the new key reads everything.
    KeyRing newOnly = KeyRing.load(Optional.empty(), writeOnlyLastLine());
    for (Tenant tenant : withKeys) {
      String ciphertext = tenants.findById(tenant.id()).orElseThrow().apiKeyCiphertext();
      assertThat(newOnly.decrypt(ciphertext, TenantRepository.apiKeyAssociatedData(tenant.id()))).startsWith("key-");
    }
  }

  @Test
  void anUndecryptableKeyAbortsTheRotationAndChangesNothing() {
    Tenant good = tenantWithKey("alice", "key-a");
    Tenant copied = tenantWithKey("bob", "key-b");
    // A ciphertext copied from another tenant does not authenticate under this tenant's id.
    String stolen = tenants.findById(good.id()).orElseThrow().apiKeyCiphertext();
    tenants.update(copied.withInstance(copied.instanceId(), copied.instanceName(), copied.host(), copied.port(), stolen, T0));
    ring.rotate(keyFile);

    assertThatThrownBy(() -> KeyRotation.reencryptTenantApiKeys(tenants, ring)).isInstanceOf(Unavailable.class);

    assertThat(tenants.findById(good.id()).orElseThrow().apiKeyCiphertext()).isEqualTo(stolen);
    assertThat(tenants.findById(copied.id()).orElseThrow().apiKeyCiphertext()).isEqualTo(stolen);
  }

  private Path writeOnlyLastLine() {
    try {
      List<String> lines = Files.readAllLines(keyFile);
      Path file = keyDir.resolve("new-only.key");
      Files.writeString(file, lines.getLast() + "\n");
      return file;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
