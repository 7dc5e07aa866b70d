// The examples name the address this page came from, whatever port the server listens on.
for (const element of document.querySelectorAll(".origin")) element.textContent = location.origin;
