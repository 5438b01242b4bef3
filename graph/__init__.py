"""Microsoft Graph: calendar events with Teams meetings, meeting chats, attendance reports."""
