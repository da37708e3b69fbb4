/** Starts the dashboard on the page that `clusnotify serve` served. */
import { render } from 'preact';
import { App } from './app.js';
import { Dashboard } from './dashboard.js';
import './styles.css';

const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
const dashboard = new Dashboard(`${scheme}://${location.host}/v1`, sessionStorage);
const root = document.getElementById('app');
if (root !== null) render(<App dashboard={dashboard} />, root);
