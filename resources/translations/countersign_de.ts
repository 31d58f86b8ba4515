<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>PairingDialogText</name>
    <message>
        <source>Not encrypted. Allowed only because the gateway runs on this computer.</source>
        <translation>Nicht verschlüsselt. Nur erlaubt, weil das Gateway auf diesem Computer läuft.</translation>
    </message>
    <message>
        <source>Encrypted (TLS), with a certificate this computer&apos;s trusted authorities vouch for.</source>
        <translation>Verschlüsselt (TLS), mit einem Zertifikat, für das die vertrauenswürdigen Stellen dieses Computers bürgen.</translation>
    </message>
    <message>
        <source>This device name cannot be used</source>
        <translation>Dieser Gerätename kann nicht verwendet werden</translation>
    </message>
    <message>
        <source>The gateway could not be reached</source>
        <translation>Das Gateway war nicht erreichbar</translation>
    </message>
    <message>
        <source>The gateway&apos;s certificate is not trusted</source>
        <translation>Dem Zertifikat des Gateways wird nicht vertraut</translation>
    </message>
    <message>
        <source>The gateway&apos;s certificate is not the one the link names</source>
        <translation>Das Zertifikat des Gateways ist nicht das im Link genannte</translation>
    </message>
    <message>
        <source>The link has been used or has expired</source>
        <translation>Der Link wurde schon verwendet oder ist abgelaufen</translation>
    </message>
    <message>
        <source>Too many attempts</source>
        <translation>Zu viele Versuche</translation>
    </message>
    <message>
        <source>The gateway refused to pair</source>
        <translation>Das Gateway hat die Kopplung abgelehnt</translation>
    </message>
    <message>
        <source>The gateway&apos;s answer was not understood</source>
        <translation>Die Antwort des Gateways wurde nicht verstanden</translation>
    </message>
    <message>
        <source>The gateway&apos;s key is not the one the link names</source>
        <translation>Der Schlüssel des Gateways ist nicht der im Link genannte</translation>
    </message>
    <message>
        <source>The key could not be stored in the keychain</source>
        <translation>Der Schlüssel konnte nicht im Schlüsselbund gespeichert werden</translation>
    </message>
    <message>
        <source>Pairing did not complete</source>
        <translation>Die Kopplung wurde nicht abgeschlossen</translation>
    </message>
    <message>
        <source>Go back and choose a name of at most 64 ordinary characters.</source>
        <translation>Gehen Sie zurück und wählen Sie einen Namen aus höchstens 64 gewöhnlichen Zeichen.</translation>
    </message>
    <message>
        <source>Check that the gateway is running and that this computer can reach its address (network, VPN, firewall), then try again.</source>
        <translation>Prüfen Sie, ob das Gateway läuft und dieser Computer seine Adresse erreicht (Netzwerk, VPN, Firewall), und versuchen Sie es dann erneut.</translation>
    </message>
    <message>
        <source>Nothing was sent. Ask the gateway&apos;s administrator for a certificate from a trusted authority, or for a link that pins the gateway&apos;s own certificate.</source>
        <translation>Es wurde nichts gesendet. Bitten Sie die Administration des Gateways um ein Zertifikat einer vertrauenswürdigen Stelle oder um einen Link, der das eigene Zertifikat des Gateways festlegt.</translation>
    </message>
    <message>
        <source>Someone may be intercepting the connection, or the gateway&apos;s certificate changed after the link was made. Do not retry on this network; make a new link on the gateway.</source>
        <translation>Möglicherweise fängt jemand die Verbindung ab, oder das Zertifikat des Gateways hat sich geändert, nachdem der Link erstellt wurde. Versuchen Sie es nicht erneut in diesem Netzwerk; erstellen Sie einen neuen Link auf dem Gateway.</translation>
    </message>
    <message>
        <source>A link works once and only for a few minutes. Run countersign-gateway pair again and use the new link.</source>
        <translation>Ein Link funktioniert nur einmal und nur wenige Minuten lang. Führen Sie countersign-gateway pair erneut aus und verwenden Sie den neuen Link.</translation>
    </message>
    <message>
        <source>The gateway limits pairing attempts from one address. Wait a minute, then try again.</source>
        <translation>Das Gateway begrenzt die Kopplungsversuche von einer Adresse. Warten Sie eine Minute und versuchen Sie es dann erneut.</translation>
    </message>
    <message>
        <source>The details below are the gateway&apos;s words. Make a new link on the gateway and try again; if it keeps refusing, ask its administrator.</source>
        <translation>Die Details unten stammen vom Gateway. Erstellen Sie auf dem Gateway einen neuen Link und versuchen Sie es erneut; lehnt es weiterhin ab, wenden Sie sich an seine Administration.</translation>
    </message>
    <message>
        <source>The gateway may run a version this Countersign does not speak. Update the gateway or Countersign, then pair with a new link.</source>
        <translation>Das Gateway verwendet vielleicht eine Version, die dieses Countersign nicht versteht. Aktualisieren Sie das Gateway oder Countersign und koppeln Sie dann mit einem neuen Link.</translation>
    </message>
    <message>
        <source>This may not be the gateway the link came from. Nothing was paired. Make a new link directly on the gateway.</source>
        <translation>Dies ist vielleicht nicht das Gateway, von dem der Link stammt. Es wurde nichts gekoppelt. Erstellen Sie einen neuen Link direkt auf dem Gateway.</translation>
    </message>
    <message>
        <source>The gateway registered this computer, but without its key Countersign cannot use it. Unlock or set up the system keychain (GNOME Keyring, KWallet), then pair again with a new link. The gateway&apos;s administrator can remove the unusable registration.</source>
        <translation>Das Gateway hat diesen Computer registriert, aber ohne seinen Schlüssel kann Countersign die Kopplung nicht nutzen. Entsperren oder richten Sie den Schlüsselbund des Systems ein (GNOME Keyring, KWallet) und koppeln Sie dann erneut mit einem neuen Link. Die Administration des Gateways kann die unbrauchbare Registrierung entfernen.</translation>
    </message>
    <message>
        <source>Try again. If it keeps failing, please report it with the details below.</source>
        <translation>Versuchen Sie es erneut. Schlägt es weiterhin fehl, melden Sie es bitte mit den Details unten.</translation>
    </message>
    <message>
        <source>Encrypted (TLS) with the gateway&apos;s own certificate, pinned by the link.</source>
        <translation>Verschlüsselt (TLS) mit dem eigenen Zertifikat des Gateways, durch den Link festgelegt.</translation>
    </message>
    <message>
        <source>The system keychain is not usable</source>
        <translation>Der Schlüsselbund des Systems ist nicht nutzbar</translation>
    </message>
    <message>
        <source>Countersign keeps this computer&apos;s key in the system keychain, and could not use it. Nothing was sent to the gateway and the link still works: unlock the keychain (GNOME Keyring, KWallet) or set one up, then try again.</source>
        <translation>Countersign bewahrt den Schlüssel dieses Computers im Schlüsselbund des Systems auf, konnte den Schlüsselbund aber nicht nutzen. Es wurde nichts an das Gateway gesendet, und der Link funktioniert weiterhin: Entsperren Sie den Schlüsselbund (GNOME Keyring, KWallet) oder richten Sie einen ein, und versuchen Sie es dann erneut.</translation>
    </message>
</context>
<context>
    <name>RunKeyAutostart</name>
    <message>
        <source>Could not write the Run entry %1\%2.</source>
        <translation>Der Run-Eintrag %1\%2 konnte nicht geschrieben werden.</translation>
    </message>
    <message>
        <source>Could not remove the Run entry %1\%2, so Countersign will still start at login.</source>
        <translation>Der Run-Eintrag %1\%2 konnte nicht entfernt werden, daher startet Countersign weiterhin bei der Anmeldung.</translation>
    </message>
</context>
<context>
    <name>TrayIconState</name>
    <message>
        <source>No gateway paired yet</source>
        <translation>Noch kein Gateway gekoppelt</translation>
    </message>
    <message>
        <source>Offline: the gateway is not reachable</source>
        <translation>Offline: Das Gateway ist nicht erreichbar</translation>
    </message>
    <message>
        <source>Offline: no gateway is reachable</source>
        <translation>Offline: Kein Gateway ist erreichbar</translation>
    </message>
    <message>
        <source>%1 of %2 gateways connected</source>
        <translation>%1 von %2 Gateways verbunden</translation>
    </message>
    <message>
        <source>Connected</source>
        <translation>Verbunden</translation>
    </message>
    <message numerus="yes">
        <source>Connected to %n gateways</source>
        <translation>
            <numerusform>Mit %n Gateway verbunden</numerusform>
            <numerusform>Mit %n Gateways verbunden</numerusform>
        </translation>
    </message>
    <message>
        <source>1 approval waiting</source>
        <translation>1 Freigabe wartet</translation>
    </message>
    <message numerus="yes">
        <source>%n approvals waiting</source>
        <translation>
            <numerusform>%n Freigabe wartet</numerusform>
            <numerusform>%n Freigaben warten</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 wants to run %2 (%3)</source>
        <translation>%1 möchte %2 ausführen (%3)</translation>
    </message>
    <message>
        <source>Connected to %1</source>
        <translation>Mit %1 verbunden</translation>
    </message>
    <message>
        <source>Offline: %1 is not reachable</source>
        <translation>Offline: %1 ist nicht erreichbar</translation>
    </message>
    <message>
        <source>Offline: %1 (%2 of %3 connected)</source>
        <translation>Offline: %1 (%2 von %3 verbunden)</translation>
    </message>
</context>
<context>
    <name>XdgAutostart</name>
    <message>
        <source>Could not remove %1, so Countersign will still start at login.</source>
        <translation>%1 konnte nicht entfernt werden, daher startet Countersign weiterhin bei der Anmeldung.</translation>
    </message>
    <message>
        <source>Could not create the folder %1.</source>
        <translation>Der Ordner %1 konnte nicht angelegt werden.</translation>
    </message>
    <message>
        <source>Could not write %1: %2</source>
        <translation>%1 konnte nicht geschrieben werden: %2</translation>
    </message>
    <message>
        <source>Approve your AI agents&apos; sensitive actions</source>
        <translation>Heikle Aktionen Ihrer KI-Agenten freigeben</translation>
    </message>
</context>
<context>
    <name>countersign::ApprovalDialog</name>
    <message>
        <source>Approve agent action? — Countersign</source>
        <translation>Aktion des Agenten freigeben? — Countersign</translation>
    </message>
    <message>
        <source>%1 wants to run %2</source>
        <translation>%1 möchte %2 ausführen</translation>
    </message>
    <message>
        <source>For %1, through %2</source>
        <translation>Für %1, über %2</translation>
    </message>
    <message>
        <source>Time left</source>
        <translation>Verbleibende Zeit</translation>
    </message>
    <message>
        <source>6 digits</source>
        <translation>6 Ziffern</translation>
    </message>
    <message>
        <source>1.  Pick the code &amp;shown in your agent&apos;s conversation</source>
        <translation>1.  Wählen Sie den Code, der im Gespräch mit Ihrem Agenten ange&amp;zeigt wird</translation>
    </message>
    <message>
        <source>2.  Enter the &amp;code from your authenticator app</source>
        <translation>2.  Geben Sie den &amp;Code aus Ihrer Authenticator-App ein</translation>
    </message>
    <message>
        <source>&amp;Reason for denying (optional):</source>
        <translation>&amp;Grund der Ablehnung (optional):</translation>
    </message>
    <message>
        <source>Sent to the gateway with the denial</source>
        <translation>Wird mit der Ablehnung an das Gateway gesendet</translation>
    </message>
    <message>
        <source>Request %1</source>
        <translation>Anfrage %1</translation>
    </message>
    <message>
        <source>&amp;Deny</source>
        <translation>&amp;Ablehnen</translation>
    </message>
    <message>
        <source>&amp;Approve</source>
        <translation>&amp;Freigeben</translation>
    </message>
    <message>
        <source>C&amp;lose</source>
        <translation>Sch&amp;ließen</translation>
    </message>
    <message>
        <source>Checking the code with %1…</source>
        <translation>Code wird bei %1 geprüft …</translation>
    </message>
    <message>
        <source>Wrong code, 1 attempt left.</source>
        <translation>Falscher Code, noch 1 Versuch.</translation>
    </message>
    <message numerus="yes">
        <source>Wrong code, %n attempts left.</source>
        <translation>
            <numerusform>Falscher Code, noch %n Versuch.</numerusform>
            <numerusform>Falscher Code, noch %n Versuche.</numerusform>
        </translation>
    </message>
    <message>
        <source>If the code was about to change, wait for the next one.</source>
        <translation>Wenn der Code gerade wechseln wollte, warten Sie auf den nächsten.</translation>
    </message>
    <message>
        <source>Too many wrong codes: the gateway locked this request and it can no longer be approved.</source>
        <translation>Zu viele falsche Codes: Das Gateway hat diese Anfrage gesperrt, sie kann nicht mehr freigegeben werden.</translation>
    </message>
    <message>
        <source>Your answer did not reach %1. Nothing was decided; try again when it is back.</source>
        <translation>Ihre Antwort hat %1 nicht erreicht. Es wurde nichts entschieden; versuchen Sie es erneut, sobald es wieder erreichbar ist.</translation>
    </message>
    <message>
        <source>Expires in %1</source>
        <translation>Läuft ab in %1</translation>
    </message>
    <message>
        <source>Expired</source>
        <translation>Abgelaufen</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 h %2 min</translation>
    </message>
    <message>
        <source>2.  Approve with</source>
        <translation>2.  Freigeben mit</translation>
    </message>
    <message>
        <source>Security &amp;key</source>
        <translation>&amp;Sicherheitsschlüssel</translation>
    </message>
    <message>
        <source>Aut&amp;henticator app code</source>
        <translation>Code aus der Aut&amp;henticator-App</translation>
    </message>
    <message>
        <source>Enter the &amp;code from your authenticator app</source>
        <translation>Geben Sie den &amp;Code aus Ihrer Authenticator-App ein</translation>
    </message>
    <message>
        <source>2.  Approve with your security key</source>
        <translation>2.  Freigeben mit Ihrem Sicherheitsschlüssel</translation>
    </message>
    <message>
        <source>This request can only be approved with a method this computer cannot use. You can deny it here or approve it on another device.</source>
        <translation>Diese Anfrage kann nur mit einer Methode freigegeben werden, die dieser Computer nicht nutzen kann. Sie können sie hier ablehnen oder auf einem anderen Gerät freigeben.</translation>
    </message>
    <message>
        <source>Press Approve to try again.</source>
        <translation>Klicken Sie auf „Freigeben“, um es erneut zu versuchen.</translation>
    </message>
    <message>
        <source>Press Approve, then touch your security key.</source>
        <translation>Klicken Sie auf „Freigeben“ und berühren Sie dann Ihren Sicherheitsschlüssel.</translation>
    </message>
    <message>
        <source>Checking the security key&apos;s answer with %1…</source>
        <translation>Antwort des Sicherheitsschlüssels wird bei %1 geprüft …</translation>
    </message>
    <message>
        <source>%1 refused the security key&apos;s answer: %2</source>
        <translation>%1 hat die Antwort des Sicherheitsschlüssels abgelehnt: %2</translation>
    </message>
    <message>
        <source>The agent is no longer waiting: approving now runs nothing until it calls again.</source>
        <translation>Der Agent wartet nicht mehr: Eine Freigabe führt jetzt nichts aus, bis er die Aktion erneut aufruft.</translation>
    </message>
    <message>
        <source>Ended</source>
        <translation>Beendet</translation>
    </message>
    <message>
        <source>Pick the code shown by your agent first.</source>
        <translation>Wählen Sie zuerst den Code, den Ihr Agent anzeigt.</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>Details</translation>
    </message>
    <message>
        <source>Show the request&apos;s technical details</source>
        <translation>Technische Details der Anfrage anzeigen</translation>
    </message>
    <message>
        <source>Gateway %1</source>
        <translation>Gateway %1</translation>
    </message>
    <message>
        <source>The code you picked (%1) did not match: this request may not be yours — it was denied. If your agent still shows %1, look for another pending request.</source>
        <translation>Der gewählte Code (%1) stimmte nicht überein: Diese Anfrage ist vielleicht nicht Ihre — sie wurde abgelehnt. Zeigt Ihr Agent weiterhin %1, suchen Sie nach einer anderen offenen Anfrage.</translation>
    </message>
    <message>
        <source>Sending your denial to %1…</source>
        <translation>Ihre Ablehnung wird an %1 gesendet …</translation>
    </message>
    <message>
        <source>Your denial did not reach %1. Nothing was decided; deny again when it is back.</source>
        <translation>Ihre Ablehnung hat %1 nicht erreicht. Es wurde nichts entschieden; lehnen Sie erneut ab, sobald es wieder erreichbar ist.</translation>
    </message>
    <message>
        <source>Approved. The agent&apos;s action goes ahead.</source>
        <translation>Freigegeben. Die Aktion des Agenten wird ausgeführt.</translation>
    </message>
    <message>
        <source>Decided on another device: approved.</source>
        <translation>Auf einem anderen Gerät entschieden: freigegeben.</translation>
    </message>
    <message>
        <source>Denied. The agent was told it may not go ahead.</source>
        <translation>Abgelehnt. Dem Agenten wurde mitgeteilt, dass er die Aktion nicht ausführen darf.</translation>
    </message>
    <message>
        <source>Decided on another device: denied.</source>
        <translation>Auf einem anderen Gerät entschieden: abgelehnt.</translation>
    </message>
    <message>
        <source>Expired before anyone approved it. Nothing was run.</source>
        <translation>Abgelaufen, bevor jemand sie freigegeben hat. Es wurde nichts ausgeführt.</translation>
    </message>
    <message>
        <source>Cancelled at the gateway. Nothing was run.</source>
        <translation>Am Gateway abgebrochen. Es wurde nichts ausgeführt.</translation>
    </message>
    <message>
        <source>This request no longer waits for an answer from this computer.</source>
        <translation>Diese Anfrage wartet nicht mehr auf eine Antwort von diesem Computer.</translation>
    </message>
</context>
<context>
    <name>countersign::BindingCodePicker</name>
    <message>
        <source>Code %1</source>
        <translation>Code %1</translation>
    </message>
</context>
<context>
    <name>countersign::Companion</name>
    <message>
        <source>%1 wants to run %2</source>
        <translation>%1 möchte %2 ausführen</translation>
    </message>
    <message>
        <source>This computer&apos;s key for it is missing from the keychain. Unpair it and pair again.</source>
        <translation>Der Schlüssel dieses Computers für dieses Gateway fehlt im Schlüsselbund. Entkoppeln Sie es und koppeln Sie es erneut.</translation>
    </message>
    <message>
        <source>This computer&apos;s key for it is unreadable. Unpair it and pair again.</source>
        <translation>Der Schlüssel dieses Computers für dieses Gateway ist nicht lesbar. Entkoppeln Sie es und koppeln Sie es erneut.</translation>
    </message>
    <message>
        <source>%1 for %2, through %3. Open Countersign to review it.</source>
        <translation>%1 für %2, über %3. Öffnen Sie Countersign, um die Anfrage zu prüfen.</translation>
    </message>
    <message>
        <source>The security key is busy with another request; finish that one first.</source>
        <translation>Der Sicherheitsschlüssel ist mit einer anderen Anfrage beschäftigt; schließen Sie diese zuerst ab.</translation>
    </message>
    <message>
        <source>This computer cannot use security keys.</source>
        <translation>Dieser Computer kann keine Sicherheitsschlüssel verwenden.</translation>
    </message>
    <message>
        <source>The gateway is not connected; try again when it is.</source>
        <translation>Das Gateway ist nicht verbunden; versuchen Sie es erneut, sobald es verbunden ist.</translation>
    </message>
    <message>
        <source>This gateway does not accept passkeys.</source>
        <translation>Dieses Gateway akzeptiert keine Passkeys.</translation>
    </message>
    <message>
        <source>The security key is busy; finish what it is doing first.</source>
        <translation>Der Sicherheitsschlüssel ist beschäftigt; schließen Sie zuerst den laufenden Vorgang ab.</translation>
    </message>
    <message>
        <source>The gateway was unpaired meanwhile.</source>
        <translation>Das Gateway wurde inzwischen entkoppelt.</translation>
    </message>
    <message>
        <source>Security key</source>
        <translation>Sicherheitsschlüssel</translation>
    </message>
    <message>
        <source>That gateway is not paired.</source>
        <translation>Dieses Gateway ist nicht gekoppelt.</translation>
    </message>
    <message>
        <source>The connection to the gateway was lost before it answered. Add the key again when it is connected.</source>
        <translation>Die Verbindung zum Gateway wurde getrennt, bevor es geantwortet hat. Fügen Sie den Schlüssel erneut hinzu, sobald es verbunden ist.</translation>
    </message>
    <message>
        <source>The gateway revoked this computer. To approve its requests again, unpair it in Settings, then pair again.</source>
        <translation>Das Gateway hat diesen Computer gesperrt. Um seine Anfragen wieder freizugeben, entkoppeln Sie es in den Einstellungen und koppeln Sie es dann erneut.</translation>
    </message>
</context>
<context>
    <name>countersign::DesktopNotifier</name>
    <message>
        <source>Review</source>
        <translation>Prüfen</translation>
    </message>
</context>
<context>
    <name>countersign::FactSection</name>
    <message>
        <source>Contains hidden or control characters, shown as \u{…} escapes.</source>
        <translation>Enthält versteckte oder Steuerzeichen, angezeigt als \u{…}-Escapes.</translation>
    </message>
    <message>
        <source>Arguments</source>
        <translation>Argumente</translation>
    </message>
    <message>
        <source>Upstream server</source>
        <translation>Upstream-Server</translation>
    </message>
    <message>
        <source>Policy</source>
        <translation>Richtlinie</translation>
    </message>
</context>
<context>
    <name>countersign::FallbackWindow</name>
    <message>
        <source>&amp;Reconnect now</source>
        <translation>&amp;Jetzt neu verbinden</translation>
    </message>
    <message>
        <source>Requests waiting for you</source>
        <translation>Anfragen, die auf Sie warten</translation>
    </message>
    <message>
        <source>Nothing is waiting for your approval. Requests from your agents appear here when a gateway asks for you.</source>
        <translation>Nichts wartet auf Ihre Freigabe. Anfragen Ihrer Agenten erscheinen hier, wenn ein Gateway Sie fragt.</translation>
    </message>
    <message>
        <source>&amp;Open</source>
        <translation>Ö&amp;ffnen</translation>
    </message>
    <message>
        <source>Show the selected request</source>
        <translation>Die ausgewählte Anfrage anzeigen</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Your desktop shows no tray icons, so Countersign lives in this window. (On GNOME, the AppIndicator extension adds them.) Closing the window keeps Countersign running so that requests still reach you; use Quit to stop it.</source>
        <translation>Ihr Desktop zeigt keine Symbole im Systembereich an, daher lebt Countersign in diesem Fenster. (Unter GNOME fügt die Erweiterung AppIndicator sie hinzu.) Nach dem Schließen des Fensters läuft Countersign weiter, damit Anfragen Sie weiterhin erreichen; mit Beenden stoppen Sie es.</translation>
    </message>
    <message>
        <source>&amp;Got it</source>
        <translation>&amp;Verstanden</translation>
    </message>
    <message>
        <source>&amp;History</source>
        <translation>&amp;Verlauf</translation>
    </message>
    <message>
        <source>&amp;Pair a gateway…</source>
        <translation>Gateway &amp;koppeln …</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>&amp;Einstellungen …</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <source>&amp;Waiting for you</source>
        <translation>&amp;Wartet auf Sie</translation>
    </message>
    <message>
        <source>&amp;Waiting for you (%1)</source>
        <translation>&amp;Wartet auf Sie (%1)</translation>
    </message>
    <message>
        <source>(%1) Countersign</source>
        <translation>(%1) Countersign</translation>
    </message>
</context>
<context>
    <name>countersign::FidoAuthenticator</name>
    <message>
        <source>Another security key operation is still running.</source>
        <translation>Ein anderer Vorgang mit dem Sicherheitsschlüssel läuft noch.</translation>
    </message>
    <message>
        <source>The gateway %1 asked for a security key of the site &quot;%2&quot;, which is not its own; Countersign refused.</source>
        <translation>Das Gateway %1 hat einen Sicherheitsschlüssel der Website „%2“ angefordert, die nicht seine eigene ist; Countersign hat abgelehnt.</translation>
    </message>
    <message>
        <source>Could not open the security key (%1).</source>
        <translation>Der Sicherheitsschlüssel konnte nicht geöffnet werden (%1).</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>Abgebrochen.</translation>
    </message>
    <message>
        <source>No security key was inserted in time.</source>
        <translation>Es wurde nicht rechtzeitig ein Sicherheitsschlüssel eingesteckt.</translation>
    </message>
    <message>
        <source>No security key was chosen in time.</source>
        <translation>Es wurde nicht rechtzeitig ein Sicherheitsschlüssel gewählt.</translation>
    </message>
    <message>
        <source>This security key cannot make ES256 (P-256) credentials.</source>
        <translation>Dieser Sicherheitsschlüssel kann keine ES256-Zugangsdaten (P-256) erzeugen.</translation>
    </message>
    <message>
        <source>This security key has no PIN and no built-in user verification, which this approval requires.</source>
        <translation>Dieser Sicherheitsschlüssel hat weder eine PIN noch eine eingebaute Benutzerprüfung, die diese Freigabe verlangt.</translation>
    </message>
    <message>
        <source>Could not prepare the request (%1).</source>
        <translation>Die Anfrage konnte nicht vorbereitet werden (%1).</translation>
    </message>
    <message>
        <source>The security key&apos;s PIN is blocked: no attempts are left.</source>
        <translation>Die PIN des Sicherheitsschlüssels ist gesperrt: Es sind keine Versuche mehr übrig.</translation>
    </message>
    <message>
        <source>The PIN was not entered in time.</source>
        <translation>Die PIN wurde nicht rechtzeitig eingegeben.</translation>
    </message>
    <message>
        <source>The security key was not touched in time.</source>
        <translation>Der Sicherheitsschlüssel wurde nicht rechtzeitig berührt.</translation>
    </message>
    <message>
        <source>The security key&apos;s PIN is blocked (%1).</source>
        <translation>Die PIN des Sicherheitsschlüssels ist gesperrt (%1).</translation>
    </message>
    <message>
        <source>The operation was cancelled on the key (%1).</source>
        <translation>Der Vorgang wurde am Schlüssel abgebrochen (%1).</translation>
    </message>
    <message>
        <source>The security key was not touched in time (%1).</source>
        <translation>Der Sicherheitsschlüssel wurde nicht rechtzeitig berührt (%1).</translation>
    </message>
    <message>
        <source>The security key refused (%1).</source>
        <translation>Der Sicherheitsschlüssel hat abgelehnt (%1).</translation>
    </message>
    <message>
        <source>This security key holds no passkey registered with the gateway (%1).</source>
        <translation>Auf diesem Sicherheitsschlüssel ist kein beim Gateway registrierter Passkey (%1).</translation>
    </message>
    <message>
        <source>This security key is registered already (%1).</source>
        <translation>Dieser Sicherheitsschlüssel ist bereits registriert (%1).</translation>
    </message>
    <message>
        <source>This security key cannot make ES256 (P-256) credentials (%1).</source>
        <translation>Dieser Sicherheitsschlüssel kann keine ES256-Zugangsdaten (P-256) erzeugen (%1).</translation>
    </message>
    <message>
        <source>The security key stopped answering; was it removed? (%1)</source>
        <translation>Der Sicherheitsschlüssel antwortet nicht mehr; wurde er abgezogen? (%1)</translation>
    </message>
    <message>
        <source>The security key failed (%1).</source>
        <translation>Der Sicherheitsschlüssel ist fehlgeschlagen (%1).</translation>
    </message>
    <message>
        <source>The security key&apos;s answer is incomplete.</source>
        <translation>Die Antwort des Sicherheitsschlüssels ist unvollständig.</translation>
    </message>
    <message>
        <source>The security key did not verify the user.</source>
        <translation>Der Sicherheitsschlüssel hat den Benutzer nicht geprüft.</translation>
    </message>
    <message>
        <source>The security key did not answer in time (%1).</source>
        <translation>Der Sicherheitsschlüssel hat nicht rechtzeitig geantwortet (%1).</translation>
    </message>
</context>
<context>
    <name>countersign::HistoryWindow</name>
    <message>
        <source>History — Countersign</source>
        <translation>Verlauf — Countersign</translation>
    </message>
    <message>
        <source>Filter by agent, action, resource, gateway, decision…</source>
        <translation>Nach Agent, Aktion, Ressource, Gateway, Entscheidung filtern …</translation>
    </message>
    <message>
        <source>Filter</source>
        <translation>Filter</translation>
    </message>
    <message>
        <source>Decisions</source>
        <translation>Entscheidungen</translation>
    </message>
    <message>
        <source>No decisions yet. Every request you approve or deny here, and every one that expires or is decided elsewhere, is listed.</source>
        <translation>Noch keine Entscheidungen. Jede Anfrage, die Sie hier freigeben oder ablehnen, und jede, die abläuft oder anderswo entschieden wird, erscheint hier.</translation>
    </message>
    <message>
        <source>1 decision</source>
        <translation>1 Entscheidung</translation>
    </message>
    <message numerus="yes">
        <source>%n decisions</source>
        <translation>
            <numerusform>%n Entscheidung</numerusform>
            <numerusform>%n Entscheidungen</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 von %2</translation>
    </message>
</context>
<context>
    <name>countersign::HistoryWindowModel</name>
    <message>
        <source>Denied</source>
        <translation>Abgelehnt</translation>
    </message>
    <message>
        <source>Expired</source>
        <translation>Abgelaufen</translation>
    </message>
    <message>
        <source>Authenticator code</source>
        <translation>Authenticator-Code</translation>
    </message>
    <message>
        <source>Passkey</source>
        <translation>Passkey</translation>
    </message>
    <message>
        <source>When</source>
        <translation>Wann</translation>
    </message>
    <message>
        <source>Decision</source>
        <translation>Entscheidung</translation>
    </message>
    <message>
        <source>Agent</source>
        <translation>Agent</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>Aktion</translation>
    </message>
    <message>
        <source>Resource</source>
        <translation>Ressource</translation>
    </message>
    <message>
        <source>For</source>
        <translation>Für</translation>
    </message>
    <message>
        <source>Gateway</source>
        <translation>Gateway</translation>
    </message>
    <message>
        <source>Method</source>
        <translation>Methode</translation>
    </message>
    <message>
        <source>Request</source>
        <translation>Anfrage</translation>
    </message>
    <message>
        <source>Approved on another device</source>
        <translation>Auf einem anderen Gerät freigegeben</translation>
    </message>
    <message>
        <source>Approved with security key</source>
        <translation>Mit Sicherheitsschlüssel freigegeben</translation>
    </message>
    <message>
        <source>Approved with authenticator code</source>
        <translation>Mit Authenticator-Code freigegeben</translation>
    </message>
    <message>
        <source>Denied: the code you picked did not match</source>
        <translation>Abgelehnt: Der gewählte Code stimmte nicht überein</translation>
    </message>
    <message>
        <source>Denied: %1</source>
        <translation>Abgelehnt: %1</translation>
    </message>
    <message>
        <source>Cancelled by the gateway</source>
        <translation>Vom Gateway abgebrochen</translation>
    </message>
    <message>
        <source>Decided on another device or withdrawn</source>
        <translation>Auf einem anderen Gerät entschieden oder zurückgezogen</translation>
    </message>
    <message>
        <source>Countersign did not learn how it ended: it was decided on another device while this one was offline, or this computer could no longer answer it.</source>
        <translation>Countersign hat nicht erfahren, wie die Anfrage ausging: Sie wurde auf einem anderen Gerät entschieden, während dieses offline war, oder dieser Computer konnte sie nicht mehr beantworten.</translation>
    </message>
    <message>
        <source>Request %1</source>
        <translation>Anfrage %1</translation>
    </message>
</context>
<context>
    <name>countersign::PairingDialog</name>
    <message>
        <source>Pair a gateway — Countersign</source>
        <translation>Gateway koppeln — Countersign</translation>
    </message>
    <message>
        <source>&amp;Scan the screen</source>
        <translation>Bildschirm &amp;durchsuchen</translation>
    </message>
    <message>
        <source>Find the QR code the gateway shows somewhere on your screen</source>
        <translation>Den QR-Code des Gateways irgendwo auf Ihrem Bildschirm finden</translation>
    </message>
    <message>
        <source>&amp;Open image…</source>
        <translation>Bild ö&amp;ffnen …</translation>
    </message>
    <message>
        <source>Read the QR code from a picture, such as the PNG the gateway wrote</source>
        <translation>Den QR-Code aus einem Bild lesen, etwa aus dem PNG, das das Gateway geschrieben hat</translation>
    </message>
    <message>
        <source>&amp;Paste</source>
        <translation>&amp;Einfügen</translation>
    </message>
    <message>
        <source>Use a link or a QR code image you copied</source>
        <translation>Einen kopierten Link oder ein kopiertes QR-Code-Bild verwenden</translation>
    </message>
    <message>
        <source>Open the pairing QR code</source>
        <translation>Den QR-Code zum Koppeln öffnen</translation>
    </message>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp)</source>
        <translation>Bilder (*.png *.jpg *.jpeg *.bmp *.gif *.webp)</translation>
    </message>
    <message>
        <source>All files (*)</source>
        <translation>Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Or type the &amp;link:</source>
        <translation>Oder den &amp;Link eingeben:</translation>
    </message>
    <message>
        <source>Pairing link</source>
        <translation>Kopplungslink</translation>
    </message>
    <message>
        <source>&amp;Continue</source>
        <translation>&amp;Weiter</translation>
    </message>
    <message>
        <source>Gateway</source>
        <translation>Gateway</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>Adresse</translation>
    </message>
    <message>
        <source>Key fingerprint</source>
        <translation>Schlüssel-Fingerabdruck</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>Verbindung</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>Konto</translation>
    </message>
    <message>
        <source>This computer</source>
        <translation>Dieser Computer</translation>
    </message>
    <message>
        <source>The fingerprint must match the &quot;Gateway key fingerprint&quot; that countersign-gateway pair printed. If it does not, cancel: the link may not come from your gateway.</source>
        <translation>Der Fingerabdruck muss mit dem „Gateway key fingerprint“ übereinstimmen, den countersign-gateway pair ausgegeben hat. Wenn nicht, brechen Sie ab: Der Link stammt vielleicht nicht von Ihrem Gateway.</translation>
    </message>
    <message>
        <source>This computer&apos;s &amp;name at the gateway:</source>
        <translation>&amp;Name dieses Computers beim Gateway:</translation>
    </message>
    <message>
        <source>Pairing</source>
        <translation>Kopplung</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>Details</translation>
    </message>
    <message>
        <source>&amp;Back</source>
        <translation>&amp;Zurück</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>&amp;Try again</source>
        <translation>&amp;Erneut versuchen</translation>
    </message>
    <message>
        <source>&amp;Pair</source>
        <translation>&amp;Koppeln</translation>
    </message>
    <message>
        <source>&amp;Done</source>
        <translation>&amp;Fertig</translation>
    </message>
    <message>
        <source>C&amp;lose</source>
        <translation>Sch&amp;ließen</translation>
    </message>
    <message>
        <source>Pair with a gateway</source>
        <translation>Mit einem Gateway koppeln</translation>
    </message>
    <message>
        <source>On the gateway, run countersign-gateway pair --user followed by your account. It shows a QR code and a link that work once, for a few minutes. Give either to Countersign:</source>
        <translation>Führen Sie auf dem Gateway countersign-gateway pair --user gefolgt von Ihrem Konto aus. Es zeigt einen QR-Code und einen Link, die einmal und nur wenige Minuten lang funktionieren. Geben Sie Countersign eines von beiden:</translation>
    </message>
    <message>
        <source>Pair with %1?</source>
        <translation>Mit %1 koppeln?</translation>
    </message>
    <message>
        <source>Check what the link says before pairing. Once paired, this gateway can ask you to approve its agents&apos; actions.</source>
        <translation>Prüfen Sie vor dem Koppeln, was der Link angibt. Nach dem Koppeln kann dieses Gateway Sie bitten, Aktionen seiner Agenten freizugeben.</translation>
    </message>
    <message>
        <source>Pairing with %1…</source>
        <translation>Kopplung mit %1 …</translation>
    </message>
    <message>
        <source>Creating this computer&apos;s key, registering it with the gateway and keeping it in the system keychain. This takes a few seconds.</source>
        <translation>Der Schlüssel dieses Computers wird erzeugt, beim Gateway registriert und im Schlüsselbund des Systems abgelegt. Das dauert einige Sekunden.</translation>
    </message>
    <message>
        <source>That is not a Countersign pairing link: %1.</source>
        <translation>Das ist kein Countersign-Kopplungslink: %1.</translation>
    </message>
    <message>
        <source>Countersign found a QR code, but %1.</source>
        <translation>Countersign hat einen QR-Code gefunden, aber %1.</translation>
    </message>
    <message>
        <source>%1 is too large (%2 × %3 pixels). Use a screenshot or the PNG the gateway wrote.</source>
        <translation>%1 ist zu groß (%2 × %3 Pixel). Verwenden Sie ein Bildschirmfoto oder das PNG, das das Gateway geschrieben hat.</translation>
    </message>
    <message>
        <source>Countersign could not read %1 as an image: %2.</source>
        <translation>Countersign konnte %1 nicht als Bild lesen: %2.</translation>
    </message>
    <message>
        <source>There is no QR code in %1. Open the picture of the code the gateway showed, or paste the link.</source>
        <translation>In %1 ist kein QR-Code. Öffnen Sie das Bild des Codes, den das Gateway gezeigt hat, oder fügen Sie den Link ein.</translation>
    </message>
    <message>
        <source>The copied image has no QR code in it. Copy the QR code the gateway showed, or its link.</source>
        <translation>Im kopierten Bild ist kein QR-Code. Kopieren Sie den QR-Code, den das Gateway gezeigt hat, oder seinen Link.</translation>
    </message>
    <message>
        <source>The clipboard holds neither a link nor an image. Copy the link or the QR code the gateway showed, then paste again.</source>
        <translation>Die Zwischenablage enthält weder einen Link noch ein Bild. Kopieren Sie den Link oder den QR-Code, den das Gateway gezeigt hat, und fügen Sie erneut ein.</translation>
    </message>
    <message>
        <source>No QR code was found on the screen. Show the gateway&apos;s QR code where nothing covers it and scan again, or paste the link.</source>
        <translation>Auf dem Bildschirm wurde kein QR-Code gefunden. Zeigen Sie den QR-Code des Gateways unverdeckt an und durchsuchen Sie den Bildschirm erneut, oder fügen Sie den Link ein.</translation>
    </message>
    <message>
        <source>The screen could not be captured: %1 Open an image of the code or paste the link instead.</source>
        <translation>Der Bildschirm konnte nicht aufgenommen werden: %1 Öffnen Sie stattdessen ein Bild des Codes oder fügen Sie den Link ein.</translation>
    </message>
    <message>
        <source>Give this computer a name, so that you can recognise it at the gateway.</source>
        <translation>Geben Sie diesem Computer einen Namen, damit Sie ihn beim Gateway wiedererkennen.</translation>
    </message>
    <message>
        <source>The name contains control or formatting characters; use ordinary text.</source>
        <translation>Der Name enthält Steuer- oder Formatierungszeichen; verwenden Sie gewöhnlichen Text.</translation>
    </message>
    <message>
        <source>Another pairing is still running. Wait for it to finish.</source>
        <translation>Eine andere Kopplung läuft noch. Warten Sie, bis sie abgeschlossen ist.</translation>
    </message>
    <message>
        <source>Another pairing link arrived while you check this one. It was set aside, so that what you check cannot change: to use the other link, cancel this pairing and open that link again.</source>
        <translation>Ein anderer Kopplungslink ist eingetroffen, während Sie diesen prüfen. Er wurde zurückgestellt, damit sich nicht ändert, was Sie prüfen: Um den anderen Link zu verwenden, brechen Sie diese Kopplung ab und öffnen Sie jenen Link erneut.</translation>
    </message>
    <message>
        <source>Paired, but not saved</source>
        <translation>Gekoppelt, aber nicht gespeichert</translation>
    </message>
    <message>
        <source>The gateway registered this computer, but Countersign could not save it in its settings. Check the free space and the permissions of your settings folder, then pair again with a new link.</source>
        <translation>Das Gateway hat diesen Computer registriert, aber Countersign konnte die Kopplung nicht in seinen Einstellungen speichern. Prüfen Sie den freien Speicherplatz und die Berechtigungen Ihres Einstellungsordners und koppeln Sie dann erneut mit einem neuen Link.</translation>
    </message>
    <message>
        <source>Paired with %1</source>
        <translation>Mit %1 gekoppelt</translation>
    </message>
    <message>
        <source>This computer is registered as &quot;%1&quot; for %2.</source>
        <translation>Dieser Computer ist als „%1“ für %2 registriert.</translation>
    </message>
    <message>
        <source>When an agent&apos;s action through %1 needs your approval, Countersign shows it: from the tray, or in a window of its own. Gateways are managed in Settings.</source>
        <translation>Wenn eine Aktion eines Agenten über %1 Ihre Freigabe braucht, zeigt Countersign sie an: im Systembereich oder in einem eigenen Fenster. Gateways verwalten Sie in den Einstellungen.</translation>
    </message>
    <message>
        <source>Details: %1</source>
        <translation>Details: %1</translation>
    </message>
    <message>
        <source>Add a &amp;security key…</source>
        <translation>&amp;Sicherheitsschlüssel hinzufügen …</translation>
    </message>
    <message>
        <source>Approve this gateway&apos;s requests with a touch of your FIDO2 security key.</source>
        <translation>Anfragen dieses Gateways mit einer Berührung Ihres FIDO2-Sicherheitsschlüssels freigeben.</translation>
    </message>
    <message>
        <source>Certificate pin</source>
        <translation>Festgelegtes Zertifikat</translation>
    </message>
    <message>
        <source>Use &amp;another link</source>
        <translation>&amp;Anderen Link verwenden</translation>
    </message>
    <message>
        <source>Already paired with %1</source>
        <translation>Bereits mit %1 gekoppelt</translation>
    </message>
    <message>
        <source>This computer is already paired with %1, as &quot;%2&quot; for %3: its requests already reach you here, and there is nothing to do.

To pair with it again (for instance because it revoked this computer, or for another account), first unpair %1 in Settings, under Paired gateways, then use a new link.</source>
        <translation>Dieser Computer ist bereits mit %1 gekoppelt, als „%2“ für %3: Seine Anfragen erreichen Sie schon hier, es ist nichts zu tun.

Um erneut mit dem Gateway zu koppeln (etwa weil es diesen Computer gesperrt hat, oder für ein anderes Konto), entkoppeln Sie %1 zuerst in den Einstellungen unter „Gekoppelte Gateways“ und verwenden Sie dann einen neuen Link.</translation>
    </message>
</context>
<context>
    <name>countersign::PasskeyPanel</name>
    <message>
        <source>Security key status</source>
        <translation>Status des Sicherheitsschlüssels</translation>
    </message>
    <message>
        <source>S&amp;top</source>
        <translation>Anhal&amp;ten</translation>
    </message>
    <message>
        <source>Stop waiting for the security key</source>
        <translation>Nicht länger auf den Sicherheitsschlüssel warten</translation>
    </message>
    <message>
        <source>Security key &amp;PIN:</source>
        <translation>&amp;PIN des Sicherheitsschlüssels:</translation>
    </message>
    <message>
        <source>C&amp;ontinue</source>
        <translation>&amp;Weiter</translation>
    </message>
    <message>
        <source>Security &amp;key:</source>
        <translation>S&amp;icherheitsschlüssel:</translation>
    </message>
    <message>
        <source>&amp;Use this key</source>
        <translation>Diesen Schlüssel &amp;verwenden</translation>
    </message>
    <message>
        <source>Security key</source>
        <translation>Sicherheitsschlüssel</translation>
    </message>
    <message>
        <source>Insert your security key.</source>
        <translation>Stecken Sie Ihren Sicherheitsschlüssel ein.</translation>
    </message>
    <message>
        <source>Several security keys are connected: choose the one to use.</source>
        <translation>Mehrere Sicherheitsschlüssel sind angeschlossen: Wählen Sie den aus, den Sie verwenden möchten.</translation>
    </message>
    <message>
        <source>Enter your security key&apos;s PIN.</source>
        <translation>Geben Sie die PIN Ihres Sicherheitsschlüssels ein.</translation>
    </message>
    <message>
        <source>That PIN was wrong. Enter it again.</source>
        <translation>Die PIN war falsch. Geben Sie sie erneut ein.</translation>
    </message>
    <message>
        <source>Touch your security key now.</source>
        <translation>Berühren Sie jetzt Ihren Sicherheitsschlüssel.</translation>
    </message>
    <message>
        <source>The key&apos;s PIN is blocked after too many wrong tries. Reset the key with its maker&apos;s tool (this erases its passkeys), or approve with another method.</source>
        <translation>Die PIN des Schlüssels ist nach zu vielen Fehlversuchen gesperrt. Setzen Sie den Schlüssel mit dem Werkzeug seines Herstellers zurück (dabei werden seine Passkeys gelöscht), oder geben Sie mit einer anderen Methode frei.</translation>
    </message>
    <message>
        <source>The key was not touched in time. Press Approve to try again.</source>
        <translation>Der Schlüssel wurde nicht rechtzeitig berührt. Klicken Sie auf „Freigeben“, um es erneut zu versuchen.</translation>
    </message>
    <message>
        <source>Stopped. Press Approve to use the key again.</source>
        <translation>Angehalten. Klicken Sie auf „Freigeben“, um den Schlüssel erneut zu verwenden.</translation>
    </message>
    <message>
        <source>The key declined. Press Approve to try again.</source>
        <translation>Der Schlüssel hat abgelehnt. Klicken Sie auf „Freigeben“, um es erneut zu versuchen.</translation>
    </message>
    <message>
        <source>This key is not registered with this gateway. Use the key you registered, or register this one in Settings.</source>
        <translation>Dieser Schlüssel ist bei diesem Gateway nicht registriert. Verwenden Sie den registrierten Schlüssel, oder registrieren Sie diesen in den Einstellungen.</translation>
    </message>
    <message>
        <source>This key is already registered with this gateway.</source>
        <translation>Dieser Schlüssel ist bei diesem Gateway bereits registriert.</translation>
    </message>
    <message>
        <source>This key cannot make the kind of passkey Countersign uses (ES256). Use another key.</source>
        <translation>Dieser Schlüssel kann die Art von Passkey, die Countersign verwendet (ES256), nicht erzeugen. Verwenden Sie einen anderen Schlüssel.</translation>
    </message>
    <message>
        <source>This request needs the key to verify you (a PIN or fingerprint), and this key has neither set up. Set a PIN with the key maker&apos;s tool, or use another key.</source>
        <translation>Für diese Anfrage muss der Schlüssel Sie prüfen (per PIN oder Fingerabdruck), aber auf diesem Schlüssel ist keines von beiden eingerichtet. Legen Sie mit dem Werkzeug des Herstellers eine PIN fest, oder verwenden Sie einen anderen Schlüssel.</translation>
    </message>
    <message>
        <source>The key was removed. Insert it and press Approve again.</source>
        <translation>Der Schlüssel wurde abgezogen. Stecken Sie ihn ein und klicken Sie erneut auf „Freigeben“.</translation>
    </message>
    <message>
        <source>The security key did not answer as expected.</source>
        <translation>Der Sicherheitsschlüssel hat nicht wie erwartet geantwortet.</translation>
    </message>
    <message numerus="yes">
        <source>%n tries left before the key locks.</source>
        <translation>
            <numerusform>Noch %n Versuch, bevor der Schlüssel gesperrt wird.</numerusform>
            <numerusform>Noch %n Versuche, bevor der Schlüssel gesperrt wird.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>countersign::RequestDetails</name>
    <message>
        <source>Verified by the gateway</source>
        <translation>Vom Gateway geprüft</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <source>Agent</source>
        <translation>Agent</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>Aktion</translation>
    </message>
    <message>
        <source>Resource</source>
        <translation>Ressource</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <comment>resource id (resource type)</comment>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>Gateway</source>
        <translation>Gateway</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <comment>gateway name (gateway URL)</comment>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>Kontext</translation>
    </message>
    <message>
        <source>Unverified — supplied by the agent</source>
        <translation>Ungeprüft — vom Agenten angegeben</translation>
    </message>
    <message>
        <source>The agent wrote this and the gateway did not check it. Decide on the verified facts above.</source>
        <translation>Dies hat der Agent geschrieben, und das Gateway hat es nicht geprüft. Entscheiden Sie anhand der geprüften Angaben oben.</translation>
    </message>
    <message>
        <source>Request details</source>
        <translation>Details der Anfrage</translation>
    </message>
</context>
<context>
    <name>countersign::ScreenGrabber</name>
    <message>
        <source>The desktop did not answer the screenshot request.</source>
        <translation>Der Desktop hat auf die Bitte um ein Bildschirmfoto nicht geantwortet.</translation>
    </message>
    <message>
        <source>The desktop refused to take a screenshot: %1</source>
        <translation>Der Desktop hat das Bildschirmfoto verweigert: %1</translation>
    </message>
    <message>
        <source>This desktop offers no screenshot service (xdg-desktop-portal). Save the QR code as an image and open it, or paste the link.</source>
        <translation>Dieser Desktop bietet keinen Bildschirmfoto-Dienst (xdg-desktop-portal). Speichern Sie den QR-Code als Bild und öffnen Sie es, oder fügen Sie den Link ein.</translation>
    </message>
    <message>
        <source>Could not capture the screen. Save the QR code as an image and open it, or paste the link.</source>
        <translation>Der Bildschirm konnte nicht aufgenommen werden. Speichern Sie den QR-Code als Bild und öffnen Sie es, oder fügen Sie den Link ein.</translation>
    </message>
    <message>
        <source>The screenshot was cancelled.</source>
        <translation>Das Bildschirmfoto wurde abgebrochen.</translation>
    </message>
    <message>
        <source>The desktop could not take the screenshot.</source>
        <translation>Der Desktop konnte das Bildschirmfoto nicht aufnehmen.</translation>
    </message>
    <message>
        <source>The desktop&apos;s screenshot did not name a local file.</source>
        <translation>Das Bildschirmfoto des Desktops nannte keine lokale Datei.</translation>
    </message>
    <message>
        <source>The screenshot file %1 does not exist.</source>
        <translation>Die Bildschirmfoto-Datei %1 existiert nicht.</translation>
    </message>
    <message>
        <source>The screenshot file %1 is too large.</source>
        <translation>Die Bildschirmfoto-Datei %1 ist zu groß.</translation>
    </message>
    <message>
        <source>Could not read the screenshot %1: %2</source>
        <translation>Das Bildschirmfoto %1 konnte nicht gelesen werden: %2</translation>
    </message>
</context>
<context>
    <name>countersign::SettingsDialog</name>
    <message>
        <source>Use at most 64 ordinary characters.</source>
        <translation>Verwenden Sie höchstens 64 gewöhnliche Zeichen.</translation>
    </message>
    <message>
        <source>Settings — Countersign</source>
        <translation>Einstellungen — Countersign</translation>
    </message>
    <message>
        <source>C&amp;lose</source>
        <translation>Sch&amp;ließen</translation>
    </message>
    <message>
        <source>General</source>
        <translation>Allgemein</translation>
    </message>
    <message>
        <source>&amp;Start Countersign when you log in</source>
        <translation>Countersign bei der Anmeldung &amp;starten</translation>
    </message>
    <message>
        <source>Approval requests reach you only while Countersign runs.</source>
        <translation>Freigabeanfragen erreichen Sie nur, solange Countersign läuft.</translation>
    </message>
    <message>
        <source>Show a &amp;notification when a request arrives</source>
        <translation>Eine &amp;Benachrichtigung zeigen, wenn eine Anfrage eintrifft</translation>
    </message>
    <message>
        <source>A notification only opens the request; approving always happens in Countersign&apos;s own window.</source>
        <translation>Eine Benachrichtigung öffnet nur die Anfrage; freigegeben wird immer im eigenen Fenster von Countersign.</translation>
    </message>
    <message>
        <source>Name for this &amp;computer when pairing:</source>
        <translation>Name dieses &amp;Computers beim Koppeln:</translation>
    </message>
    <message>
        <source>Paired gateways</source>
        <translation>Gekoppelte Gateways</translation>
    </message>
    <message>
        <source>Gateway</source>
        <translation>Gateway</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>Konto</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>No gateway is paired yet. Pair one to receive its approval requests.</source>
        <translation>Noch ist kein Gateway gekoppelt. Koppeln Sie eines, um seine Freigabeanfragen zu erhalten.</translation>
    </message>
    <message>
        <source>&amp;Pair a gateway…</source>
        <translation>Gateway &amp;koppeln …</translation>
    </message>
    <message>
        <source>&amp;Rename</source>
        <translation>&amp;Umbenennen</translation>
    </message>
    <message>
        <source>&amp;Unpair…</source>
        <translation>&amp;Entkoppeln …</translation>
    </message>
    <message>
        <source>Not connected</source>
        <translation>Nicht verbunden</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>Offline</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>Verbindung wird hergestellt …</translation>
    </message>
    <message>
        <source>Connected</source>
        <translation>Verbunden</translation>
    </message>
    <message>
        <source>Refused this computer</source>
        <translation>Hat diesen Computer abgewiesen</translation>
    </message>
    <message>
        <source>Could not turn on starting at login: %1</source>
        <translation>Der Start bei der Anmeldung konnte nicht eingeschaltet werden: %1</translation>
    </message>
    <message>
        <source>Could not turn off starting at login: %1</source>
        <translation>Der Start bei der Anmeldung konnte nicht ausgeschaltet werden: %1</translation>
    </message>
    <message>
        <source>A gateway&apos;s name is 1 to 64 ordinary characters.</source>
        <translation>Der Name eines Gateways besteht aus 1 bis 64 gewöhnlichen Zeichen.</translation>
    </message>
    <message>
        <source>Could not rename: %1</source>
        <translation>Umbenennen fehlgeschlagen: %1</translation>
    </message>
    <message>
        <source>Unpair %1?</source>
        <translation>%1 entkoppeln?</translation>
    </message>
    <message>
        <source>This computer&apos;s key for the gateway is deleted from the keychain and the gateway is forgotten: its requests will no longer reach you here. The gateway still lists this computer until its administrator revokes it. To use it again, pair with a new link.</source>
        <translation>Der Schlüssel dieses Computers für das Gateway wird aus dem Schlüsselbund gelöscht und das Gateway vergessen: Seine Anfragen erreichen Sie hier nicht mehr. Das Gateway führt diesen Computer weiter, bis seine Administration ihn sperrt. Um es wieder zu nutzen, koppeln Sie mit einem neuen Link.</translation>
    </message>
    <message>
        <source>&amp;Unpair</source>
        <translation>&amp;Entkoppeln</translation>
    </message>
    <message>
        <source>Unpairing %1…</source>
        <translation>%1 wird entkoppelt …</translation>
    </message>
    <message>
        <source>Could not unpair %1: %2</source>
        <translation>%1 konnte nicht entkoppelt werden: %2</translation>
    </message>
    <message>
        <source>Unpaired %1.</source>
        <translation>%1 entkoppelt.</translation>
    </message>
    <message>
        <source>Default approval &amp;method:</source>
        <translation>Standard&amp;methode für Freigaben:</translation>
    </message>
    <message>
        <source>The method a request opens with when it allows several. You can still switch in the request.</source>
        <translation>Die Methode, mit der sich eine Anfrage öffnet, wenn sie mehrere erlaubt. In der Anfrage können Sie weiterhin wechseln.</translation>
    </message>
    <message>
        <source>Security key (passkey)</source>
        <translation>Sicherheitsschlüssel (Passkey)</translation>
    </message>
    <message>
        <source>Authenticator app code</source>
        <translation>Code aus der Authenticator-App</translation>
    </message>
    <message>
        <source>Security keys at this gateway</source>
        <translation>Sicherheitsschlüssel bei diesem Gateway</translation>
    </message>
    <message>
        <source>Security keys registered at the selected gateway</source>
        <translation>Beim ausgewählten Gateway registrierte Sicherheitsschlüssel</translation>
    </message>
    <message>
        <source>&amp;Key name:</source>
        <translation>&amp;Name des Schlüssels:</translation>
    </message>
    <message>
        <source>e.g. YubiKey on my keyring</source>
        <translation>z. B. YubiKey am Schlüsselring</translation>
    </message>
    <message>
        <source>&amp;Add security key…</source>
        <translation>Sicherheitsschlüssel &amp;hinzufügen …</translation>
    </message>
    <message>
        <source>Insert the key, press this, then touch the key.</source>
        <translation>Stecken Sie den Schlüssel ein, klicken Sie hier und berühren Sie dann den Schlüssel.</translation>
    </message>
    <message>
        <source>Remo&amp;ve…</source>
        <translation>Ent&amp;fernen …</translation>
    </message>
    <message>
        <source>Remove security key?</source>
        <translation>Sicherheitsschlüssel entfernen?</translation>
    </message>
    <message>
        <source>Remove “%1” from %2? It can no longer approve requests there.</source>
        <translation>„%1“ von %2 entfernen? Mit diesem Schlüssel können dort dann keine Anfragen mehr freigegeben werden.</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Entfernen</translation>
    </message>
    <message>
        <source>Checking the new key with the gateway…</source>
        <translation>Der neue Schlüssel wird beim Gateway geprüft …</translation>
    </message>
    <message>
        <source>The security key was added. It can now approve requests from this gateway.</source>
        <translation>Der Sicherheitsschlüssel wurde hinzugefügt. Er kann jetzt Anfragen dieses Gateways freigeben.</translation>
    </message>
    <message>
        <source>Name the key, click Add security key…, then touch it.</source>
        <translation>Benennen Sie den Schlüssel, klicken Sie auf „Sicherheitsschlüssel hinzufügen …“ und berühren Sie ihn dann.</translation>
    </message>
    <message>
        <source>Added %1; verifies you with a PIN or fingerprint</source>
        <translation>Hinzugefügt am %1; prüft Sie per PIN oder Fingerabdruck</translation>
    </message>
    <message>
        <source>Added %1</source>
        <translation>Hinzugefügt am %1</translation>
    </message>
    <message>
        <source>Connect to the gateway to add or remove security keys.</source>
        <translation>Verbinden Sie sich mit dem Gateway, um Sicherheitsschlüssel hinzuzufügen oder zu entfernen.</translation>
    </message>
    <message>
        <source>This gateway does not accept security keys.</source>
        <translation>Dieses Gateway akzeptiert keine Sicherheitsschlüssel.</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>Adresse</translation>
    </message>
    <message>
        <source>Key fingerprint</source>
        <translation>Schlüssel-Fingerabdruck</translation>
    </message>
    <message>
        <source>This computer there</source>
        <translation>Dieser Computer dort</translation>
    </message>
    <message>
        <source>Certificate pin</source>
        <translation>Festgelegtes Zertifikat</translation>
    </message>
    <message>
        <source>Stopping…</source>
        <translation>Wird angehalten …</translation>
    </message>
    <message>
        <source>Security key: add one to a gateway below first</source>
        <translation>Sicherheitsschlüssel: zuerst unten bei einem Gateway hinzufügen</translation>
    </message>
    <message>
        <source>The method a request opens with when it allows several. A security key can be the default once one is registered at a gateway (Security keys, below).</source>
        <translation>Die Methode, mit der sich eine Anfrage öffnet, wenn sie mehrere erlaubt. Ein Sicherheitsschlüssel kann Standard werden, sobald einer bei einem Gateway registriert ist (unten unter „Sicherheitsschlüssel“).</translation>
    </message>
    <message>
        <source>Cancelled. No security key was added.</source>
        <translation>Abgebrochen. Es wurde kein Sicherheitsschlüssel hinzugefügt.</translation>
    </message>
    <message>
        <source>No security key is registered here yet. Insert one, name it and click Add security key….</source>
        <translation>Hier ist noch kein Sicherheitsschlüssel registriert. Stecken Sie einen ein, benennen Sie ihn und klicken Sie auf „Sicherheitsschlüssel hinzufügen …“.</translation>
    </message>
    <message>
        <source>Device id at the gateway: %1</source>
        <translation>Geräte-ID beim Gateway: %1</translation>
    </message>
    <message>
        <source>Revoked: unpair, then pair again</source>
        <translation>Gesperrt: entkoppeln, dann erneut koppeln</translation>
    </message>
</context>
<context>
    <name>countersign::SingleInstance</name>
    <message>
        <source>There is no runtime directory to hold the single-instance lock.</source>
        <translation>Es gibt kein Laufzeitverzeichnis für die Sperre gegen mehrfachen Start.</translation>
    </message>
    <message>
        <source>The runtime directory %1 does not exist.</source>
        <translation>Das Laufzeitverzeichnis %1 existiert nicht.</translation>
    </message>
    <message>
        <source>The runtime directory %1 is not private to this user.</source>
        <translation>Das Laufzeitverzeichnis %1 gehört nicht allein diesem Benutzer.</translation>
    </message>
    <message>
        <source>Could not create the single-instance lock %1.</source>
        <translation>Die Sperre gegen mehrfachen Start %1 konnte nicht angelegt werden.</translation>
    </message>
    <message>
        <source>Could not listen on %1: %2</source>
        <translation>Auf %1 konnte nicht gelauscht werden: %2</translation>
    </message>
    <message>
        <source>The command line is too long to hand to the running Countersign.</source>
        <translation>Die Befehlszeile ist zu lang, um sie an das laufende Countersign zu übergeben.</translation>
    </message>
    <message>
        <source>The running Countersign did not answer.</source>
        <translation>Das laufende Countersign hat nicht geantwortet.</translation>
    </message>
    <message>
        <source>The running Countersign gave an unexpected answer.</source>
        <translation>Das laufende Countersign gab eine unerwartete Antwort.</translation>
    </message>
    <message>
        <source>The running Countersign refused the message.</source>
        <translation>Das laufende Countersign hat die Nachricht abgelehnt.</translation>
    </message>
    <message>
        <source>Could not reach the running Countersign: %1</source>
        <translation>Das laufende Countersign war nicht erreichbar: %1</translation>
    </message>
</context>
<context>
    <name>countersign::TrayIcon</name>
    <message>
        <source>&amp;History</source>
        <translation>&amp;Verlauf</translation>
    </message>
    <message>
        <source>&amp;Pair a gateway…</source>
        <translation>Gateway &amp;koppeln …</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>&amp;Einstellungen …</translation>
    </message>
    <message>
        <source>&amp;Quit Countersign</source>
        <translation>Countersign &amp;beenden</translation>
    </message>
    <message>
        <source>1 approval waiting</source>
        <translation>1 Freigabe wartet</translation>
    </message>
    <message numerus="yes">
        <source>%n approvals waiting</source>
        <translation>
            <numerusform>%n Freigabe wartet</numerusform>
            <numerusform>%n Freigaben warten</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n more waiting…</source>
        <translation>
            <numerusform>%n weitere wartet …</numerusform>
            <numerusform>%n weitere warten …</numerusform>
        </translation>
    </message>
    <message>
        <source>&amp;Reconnect now</source>
        <translation>&amp;Jetzt neu verbinden</translation>
    </message>
    <message>
        <source>Quit Countersign?</source>
        <translation>Countersign beenden?</translation>
    </message>
    <message>
        <source>1 approval request is waiting.</source>
        <translation>1 Freigabeanfrage wartet.</translation>
    </message>
    <message numerus="yes">
        <source>%n approval requests are waiting.</source>
        <translation>
            <numerusform>%n Freigabeanfrage wartet.</numerusform>
            <numerusform>%n Freigabeanfragen warten.</numerusform>
        </translation>
    </message>
    <message>
        <source>If you quit, nothing is approved or denied: the requests stay pending at the gateway until they expire, and this computer cannot answer them until you start Countersign again.</source>
        <translation>Wenn Sie beenden, wird nichts freigegeben oder abgelehnt: Die Anfragen bleiben beim Gateway offen, bis sie ablaufen, und dieser Computer kann sie erst beantworten, wenn Sie Countersign wieder starten.</translation>
    </message>
    <message>
        <source>&amp;Quit Anyway</source>
        <translation>&amp;Trotzdem beenden</translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <source>Approve your AI agents&apos; sensitive actions from your desktop.</source>
        <translation>Heikle Aktionen Ihrer KI-Agenten auf dem Desktop freigeben.</translation>
    </message>
    <message>
        <source>Pair with the gateway of this countersign:// link.</source>
        <translation>Mit dem Gateway dieses countersign://-Links koppeln.</translation>
    </message>
    <message>
        <source>Start in the tray without opening a window.</source>
        <translation>Im Systembereich starten, ohne ein Fenster zu öffnen.</translation>
    </message>
    <message>
        <source>A countersign:// pairing link (from the desktop).</source>
        <translation>Ein countersign://-Kopplungslink (vom Desktop).</translation>
    </message>
    <message>
        <source>Quit as soon as the tray icon is up (to measure start-up).</source>
        <translation>Beenden, sobald das Symbol im Systembereich erscheint (um den Start zu messen).</translation>
    </message>
    <message>
        <source>Forget the gateway at this URL: its record and this computer&apos;s key for it.</source>
        <translation>Das Gateway unter dieser URL vergessen: seinen Eintrag und den Schlüssel dieses Computers dafür.</translation>
    </message>
    <message>
        <source>Countersign is already running; it opens its window.
</source>
        <translation>Countersign läuft bereits; es öffnet sein Fenster.
</translation>
    </message>
</context>
</TS>
