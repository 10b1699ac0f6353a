// 网格通 admin page entry point: plain ES modules, no build step.

import { $, refreshStatus, renderBanner } from "./common.js";
import { startChat } from "./chat.js";
import { refreshTickets } from "./tickets.js";

renderBanner();
refreshStatus();
refreshTickets();
if ($("messages")) startChat();
