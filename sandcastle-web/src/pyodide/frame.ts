// The Pyodide frame (built in the next commit).
