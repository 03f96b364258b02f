// Entry point: mounts the console into the page; everything else loads from the gateway itself.
import { render } from "preact";
import { App } from "./app";
import "./styles.css";

const root = document.getElementById("app");
if (root) render(<App />, root);
