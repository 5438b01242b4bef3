// The tab's configuration page: Teams shows it once, when the tab is added to a meeting.
"use strict";
(function () {
  var teams = window.microsoftTeams;
  var base = new URL(".", window.location.href).href;
  teams.app.initialize().then(function () {
    teams.pages.config.registerOnSaveHandler(function (save) {
      teams.pages.config.setConfig({
        entityId: "als-session",
        contentUrl: base,
        websiteUrl: base,
        suggestedDisplayName: "Session"
      }).then(function () { save.notifySuccess(); }, function (e) { save.notifyFailure(String(e)); });
    });
    teams.pages.config.setValidityState(true);
    teams.app.notifySuccess();
  }, function () {
    var p = document.getElementById("problem");
    p.textContent = "Open this page in Microsoft Teams, from a meeting's Apps.";
    p.hidden = false;
  });
})();
