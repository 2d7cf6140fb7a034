#!/usr/bin/env bash
# Install the system packages pickloop needs at run time on Debian or Ubuntu:
# the Vulkan loader and Mesa's software Vulkan driver (lavapipe) for headless rendering on the
# CPU, the X11 client libraries for `pickloop watch`, and Xvfb for the windowed tests.
# Packages that are already installed are skipped, so a second run does nothing.
set -euo pipefail

packages=(
    libvulkan1
    mesa-vulkan-drivers
    libx11-6
    libxcursor1
    libxrandr2
    libxi6
    libxkbcommon-x11-0
    xvfb
    xauth
)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null; then
    echo "error: apt-get not found; install these packages with your system's package manager: ${missing[*]}" >&2
    exit 1
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then
        sudo_cmd=(sudo)
    else
        echo "error: installing ${missing[*]} needs root; rerun as root or install sudo" >&2
        exit 1
    fi
fi

echo "installing system packages: ${missing[*]}" >&2
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
