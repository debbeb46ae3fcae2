installFilters();
installMarkAsNoise();
installProblemStatus();
storeToken(memoryToken);
window.addEventListener("hashchange", render);
render();
