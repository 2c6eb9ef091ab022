"""The help center's pages (customers) and the knowledge-base editor (staff console)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.accounts.access import request_staff_user
from kefu.knowledge import services
from kefu.knowledge.access import (
    access_article,
    access_published_version,
    access_suggestion,
    check_can_publish,
    published_versions,
)
from kefu.knowledge.errors import ArticleInvalid
from kefu.knowledge.forms import ArticleForm, FeedbackForm, QuestionForm, ReviewForm
from kefu.knowledge.models import (
    Article,
    ArticleStatus,
    ArticleSuggestion,
    Category,
    SuggestionStatus,
)
from kefu.knowledge.search import search_articles
from kefu.lib.language import normalise_language
from kefu.lib.ratelimit import check_rate_limit, client_address

POPULAR = 6


def _language() -> str:
    return normalise_language(get_language())


# --- help center ------------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The front page: search, categories, the most helpful articles, chat and ticket."""
    counts = dict(
        published_versions()
        .values_list("category_id")
        .annotate(n=Count("id"))
        .values_list("category_id", "n")
    )
    categories = [
        (category, counts.get(category.pk, 0))
        for category in Category.objects.all()
        if counts.get(category.pk)
    ]
    popular = published_versions().order_by("-helpful_yes", "article__slug")[:POPULAR]
    context = {"categories": categories, "popular": popular, "demo_pages": settings.DEMO_PAGES}
    return render(request, "knowledge/home.html", context)


@require_GET
def category(request: HttpRequest, slug: str) -> HttpResponse:
    section = get_object_or_404(Category, slug=slug)
    versions = published_versions().filter(category=section).order_by("article__slug")
    return render(request, "knowledge/category.html", {"category": section, "versions": versions})


@require_GET
def article(request: HttpRequest, slug: str) -> HttpResponse:
    version = access_published_version(slug)
    related = (
        published_versions()
        .filter(category=version.category)
        .exclude(pk=version.pk)
        .order_by("-helpful_yes", "article__slug")[:5]
    )
    context = {
        "version": version,
        "local": version.in_language(_language()),
        "related": related,
        "feedback_form": FeedbackForm(initial={"version": version.number}),
    }
    return render(request, "knowledge/article.html", context)


@require_POST
def feedback(request: HttpRequest, slug: str) -> HttpResponse:
    """Count a "was this helpful?" answer; htmx swaps in the thank-you."""
    check_rate_limit(request, "kb_feedback")
    version = access_published_version(slug)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        raise ArticleInvalid(_("Choose yes or no."), field="helpful")
    # The vote counts for the version the customer read, if it still exists.
    read = version.article.versions.filter(number=form.cleaned_data["version"]).first() or version
    services.record_feedback(
        read,
        helpful=form.cleaned_data["helpful"],
        comment=form.cleaned_data["comment"],
        language=_language(),
    )
    return render(
        request,
        "knowledge/_feedback_thanks.html",
        {"helpful": form.cleaned_data["helpful"], "version": version},
    )


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    hits = []
    if query:
        check_rate_limit(request, "kb_search")
        hits = search_articles(query, limit=10, language=_language())
    form = QuestionForm(initial={"question": query, "search_query": query})
    return render(
        request, "knowledge/search.html", {"query": query, "hits": hits, "question_form": form}
    )


@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest) -> HttpResponse:
    """A question the help center did not answer, sent to the knowledge-base team."""
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check_rate_limit(request, "kb_question")
        services.submit_suggestion(
            form.cleaned_data["question"],
            language=_language(),
            email=form.cleaned_data["email"],
            search_query=form.cleaned_data["search_query"],
        )
        return render(request, "knowledge/ask_thanks.html")
    return render(request, "knowledge/ask.html", {"form": form})


# --- console: the editor ----------------------------------------------------------------------


@require_GET
def console_articles(request: HttpRequest) -> HttpResponse:
    user = request_staff_user(request)
    articles = Article.objects.select_related("category", "published_version")
    status = request.GET.get("status", "")
    if status in ArticleStatus.values:
        articles = articles.filter(status=status)
    query = request.GET.get("q", "").strip()[:100]
    if query:
        articles = articles.filter(
            Q(title_en__icontains=query) | Q(title_zh__icontains=query) | Q(slug__icontains=query)
        )
    page = Paginator(articles.order_by("category__position", "slug"), 50).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "status": status,
        "query": query,
        "status_choices": ArticleStatus.choices,
        "can_publish": user.sees_all_queues,
        "pending_questions": ArticleSuggestion.objects.filter(
            status=SuggestionStatus.PENDING
        ).count(),
    }
    return render(request, "knowledge/console/articles.html", context)


@require_http_methods(["GET", "POST"])
def console_edit(request: HttpRequest, article_id: int | None = None) -> HttpResponse:
    """Create or edit an article in both languages; save a draft or (supervisors) publish."""
    user = request_staff_user(request)
    article = access_article(user, article_id) if article_id is not None else None
    initial = {}
    if article is not None:
        newest = services.latest_version(article)
        if newest is not None:
            initial = ArticleForm.initial_from(services.content_of(newest))
    elif request.GET.get("suggestion"):
        suggestion = access_suggestion(user, int(request.GET["suggestion"]))
        initial = {
            "suggestion": suggestion.pk,
            f"title_{suggestion.language}": suggestion.question[:200],
        }
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        publish = "publish" in request.POST
        if publish:
            check_can_publish(user)
        try:
            saved = services.save_article(
                user,
                form.content(),
                publish=publish,
                note=form.cleaned_data["note"],
                article_id=article.pk if article else None,
                ip_address=client_address(request),
            )
        except ArticleInvalid as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
        else:
            if form.cleaned_data.get("suggestion"):
                services.review_suggestion(
                    user,
                    form.cleaned_data["suggestion"],
                    article_id=saved.pk,
                    ip_address=client_address(request),
                )
            messages.success(request, _("Published.") if publish else _("Draft saved."))
            return redirect("knowledge:console_history", article_id=saved.pk)
    context = {"form": form, "article": article, "can_publish": user.sees_all_queues}
    return render(request, "knowledge/console/edit.html", context)


@require_GET
def console_history(request: HttpRequest, article_id: int) -> HttpResponse:
    user = request_staff_user(request)
    article = access_article(user, article_id)
    versions = article.versions.select_related("author", "category")
    shown = versions.filter(number=request.GET.get("version") or article.latest_number).first()
    context = {
        "article": article,
        "versions": versions,
        "shown": shown,
        "local": shown.localised if shown else None,
        "can_publish": user.sees_all_queues,
        "status_choices": [ArticleStatus.DRAFT, ArticleStatus.ARCHIVED],
    }
    return render(request, "knowledge/console/history.html", context)


@require_POST
def console_publish(request: HttpRequest, article_id: int) -> HttpResponse:
    user = request_staff_user(request)
    check_can_publish(user)
    article = access_article(user, article_id)
    number = int(request.POST.get("version") or 0)
    if not article.versions.filter(number=number).exists():
        raise ArticleInvalid(_("No such version."), field="version")
    services.publish_version(user, article.pk, number, ip_address=client_address(request))
    messages.success(request, _("Version %(number)d is live.") % {"number": number})
    return redirect("knowledge:console_history", article_id=article.pk)


@require_POST
def console_status(request: HttpRequest, article_id: int) -> HttpResponse:
    user = request_staff_user(request)
    check_can_publish(user)
    article = access_article(user, article_id)
    status = request.POST.get("status", "")
    if status not in (ArticleStatus.DRAFT, ArticleStatus.ARCHIVED):
        raise ArticleInvalid(_("Unknown status."), field="status")
    services.set_article_status(
        user, article.pk, ArticleStatus(status), ip_address=client_address(request)
    )
    messages.success(request, _("The help center no longer shows this article."))
    return redirect("knowledge:console_history", article_id=article.pk)


@require_GET
def console_questions(request: HttpRequest) -> HttpResponse:
    user = request_staff_user(request)
    check_can_publish(user)
    pending = ArticleSuggestion.objects.filter(status=SuggestionStatus.PENDING)
    reviewed = ArticleSuggestion.objects.exclude(status=SuggestionStatus.PENDING).select_related(
        "article", "reviewed_by"
    )[:20]
    context = {"pending": pending[:100], "reviewed": reviewed, "form": ReviewForm()}
    return render(request, "knowledge/console/questions.html", context)


@require_POST
def console_review(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    user = request_staff_user(request)
    suggestion = access_suggestion(user, suggestion_id)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        raise ArticleInvalid(_("The review is not valid."))
    article_id = None
    if "answered" in request.POST:
        answer = Article.objects.filter(slug=form.cleaned_data["article"]).first()
        if answer is None:
            raise ArticleInvalid(_("No article has this slug."), field="article")
        article_id = answer.pk
    services.review_suggestion(
        user,
        suggestion.pk,
        article_id=article_id,
        reason=form.cleaned_data["reason"],
        ip_address=client_address(request),
    )
    return redirect("knowledge:console_questions")
