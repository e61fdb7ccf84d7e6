"""The API's routers, one module per resource; :data:`ROUTERS` is what the app includes."""

from api.routes import cases, checking, chat, documents, drafts, precedents, system

ROUTERS = [system.router, cases.router, precedents.router, drafts.router, documents.router, checking.router, chat.router]
