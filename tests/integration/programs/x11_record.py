#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# A RECORD-based keylogger's first steps, as kl.cpp or cnee take them: a
# context on all clients for key events, enabled on a second connection.
# Exits after a moment without printing anything it records.
import os
import sys
import threading
import time

from Xlib import display
from Xlib.ext import record

ctrl = display.Display()
data = display.Display()
if not ctrl.has_extension("RECORD"):
    sys.exit("no RECORD extension")
ctx = ctrl.record_create_context(
    0,
    [record.AllClients],
    [{
        "core_requests": (0, 0),
        "core_replies": (0, 0),
        "ext_requests": (0, 0, 0, 0),
        "ext_replies": (0, 0, 0, 0),
        "delivered_events": (0, 0),
        "device_events": (2, 3),  # KeyPress, KeyRelease
        "errors": (0, 0),
        "client_started": False,
        "client_died": False,
    }],
)
ctrl.sync()
threading.Thread(target=lambda: data.record_enable_context(ctx, lambda reply: None), daemon=True).start()
time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
os._exit(0)
