// The API key box in the top bar: typed once, kept in this browser's local storage, never in the page.
import { apiKey } from "./api.js";

/** Wire the `#key-form` box; `onChange()` runs after the key is saved or forgotten. */
export function setupKeyBox(onChange = () => {}) {
  const input = document.getElementById("api-key");
  const state = document.getElementById("key-state");
  input.value = apiKey.get();
  const show = () => (state.textContent = apiKey.get() ? "saved in this browser" : "not set");
  const save = () => {
    apiKey.set(input.value.trim());
    show();
    onChange();
  };
  show();
  document.getElementById("key-form").addEventListener("submit", (e) => { e.preventDefault(); save(); });
  input.addEventListener("change", save);
  document.getElementById("forget-key").addEventListener("click", () => { input.value = ""; save(); });
}
