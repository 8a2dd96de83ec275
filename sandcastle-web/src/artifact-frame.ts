// The artifact frame's loader. The page is served with its own policy (a sandbox, an opaque
// origin, inline code allowed), unlike the app's, which allows no inline code; it receives the
// artifact's document from the app once and writes it over itself.
window.addEventListener('message', (event) => {
  if (event.source !== window.parent || typeof event.data?.artifact !== 'string') return;
  document.open();
  document.write(event.data.artifact);
  document.close();
}, { once: true });
window.parent.postMessage({ type: 'artifact-frame-ready' }, '*');
