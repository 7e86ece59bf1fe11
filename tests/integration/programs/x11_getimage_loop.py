#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# A screen grabber at full speed: GetImage of a corner of the root window in a
# loop for the given seconds. Prints how many requests it made.
import sys
import time

from Xlib import X, display

d = display.Display()
root = d.screen().root
seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
end = time.monotonic() + seconds
n = 0
while time.monotonic() < end:
    root.get_image(0, 0, 16, 16, X.ZPixmap, 0xFFFFFFFF)
    n += 1
print(n)
