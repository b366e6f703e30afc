#include "gen_tweets_priv.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const en[] = {
    "the", "a", "to", "and", "is", "in", "it", "you", "of", "for", "on", "my", "this", "that",
    "with", "be", "so", "just", "what", "today", "day", "love", "new", "people", "time", "really",
    "good", "great", "can't", "believe", "finally", "watching", "tonight", "weekend", "thanks",
    "everyone", "happy", "morning", "coffee", "game", "season", "team", "music", "album", "release",
    "vaccine", "appointment", "lockdown", "office", "remote", "working", "from", "home", "again",
    "&amp;", "lol", "omg", "honestly", "\"literally\"", "best", "worst", "ever", "week", "May",
    "Monday", "tweeting", "every", "until", "come", "back", "data", "science", "learning",
};
static const char *const es[] = {
    "el", "la", "de", "que", "y", "en", "los", "por", "un", "una", "para", "con", "no", "es",
    "hoy", "gracias", "todos", "buenos", "días", "mañana", "fútbol", "partido", "vacuna",
    "gobierno", "México", "España", "amigos", "feliz", "semana", "mejor", "nunca", "siempre",
    "jajaja", "qué", "bonito", "noticia", "última", "hora",
};
static const char *const fr[] = {
    "le", "la", "les", "de", "des", "et", "à", "un", "une", "est", "pour", "pas", "sur", "avec",
    "aujourd'hui", "merci", "bonjour", "très", "été", "déjà", "vaccin", "confinement", "demain",
    "match", "équipe", "télétravail", "enfin", "vraiment", "génial", "Paris", "semaine", "mdr",
};
static const char *const pt[] = {
    "o", "a", "de", "que", "e", "do", "da", "em", "um", "para", "não", "com", "uma", "os", "hoje",
    "obrigado", "vacina", "Brasil", "jogo", "time", "saudade", "amanhã", "kkkkk", "gente",
    "muito", "bom", "dia", "semana", "notícia", "você",
};
static const char *const ja[] = {
    "今日", "は", "の", "に", "を", "が", "と", "です", "ました", "本当に", "ありがとう", "ワクチン",
    "接種", "東京", "仕事", "週末", "ゲーム", "新しい", "楽しみ", "おはよう", "ございます",
    "ゴールデンウィーク", "(笑)", "配信", "アニメ", "最高", "雨",
};
static const char *const de[] = {
    "der", "die", "das", "und", "ist", "nicht", "ich", "mit", "heute", "danke", "Impfung",
    "Termin", "endlich", "wieder", "schön", "Wochenende", "Bundesliga", "für", "über", "morgen",
};
static const char *const it[] = {
    "il", "la", "di", "che", "e", "per", "non", "un", "oggi", "grazie", "vaccino", "finalmente",
    "settimana", "partita", "bellissimo", "più", "città", "domani", "buongiorno",
};
static const char *const und[] = {
    "😂", "🔥", "❤️", "👀", "🙏", "😭", "✨", "🥺", "💯", "...", "!!", "??", "👇", "🎉",
};
static const char *const ar[] = {
    "اليوم", "الله", "في", "من", "على", "شكرا", "الحمد", "رمضان", "كريم", "لقاح", "مبروك",
};
static const char *const tr[] = {
    "bir", "ve", "bu", "çok", "için", "ama", "bugün", "teşekkürler", "aşı", "maç", "güzel",
};
static const char *const in[] = {
    "yang", "dan", "di", "ini", "itu", "aku", "tidak", "hari", "terima", "kasih", "vaksin", "mudik",
};
static const char *const ko[] = {
    "오늘", "진짜", "너무", "사랑해", "감사합니다", "방탄소년단", "백신", "주말", "컴백", "축하해",
};
static const char *const hi[] = {
    "है", "के", "में", "की", "और", "आज", "धन्यवाद", "वैक्सीन", "भारत", "नमस्ते",
};
static const char *const nl[] = {
    "de", "het", "een", "en", "van", "niet", "vandaag", "bedankt", "vaccin", "eindelijk", "mooi",
};

#define LANG(code, w, words) { code, w, words, COUNT(words) }

/* Roughly Twitter's mix in May 2021. */
const struct sluice_gen_lang sluice_gen_langs[] = {
    LANG("en", 420, en), LANG("es", 120, es), LANG("ja", 100, ja), LANG("pt", 70, pt),
    LANG("fr", 60, fr),  LANG("und", 60, und), LANG("de", 35, de), LANG("it", 30, it),
    LANG("ar", 25, ar),  LANG("tr", 20, tr),   LANG("in", 20, in), LANG("ko", 15, ko),
    LANG("hi", 15, hi),  LANG("nl", 10, nl),
};
const size_t sluice_gen_n_langs = COUNT(sluice_gen_langs);

const struct sluice_gen_source sluice_gen_sources[] = {
    { "Twitter for iPhone", 38 }, { "Twitter for Android", 34 }, { "Twitter Web App", 18 },
    { "TweetDeck", 3 },           { "Instagram", 2 },            { "Twitter for iPad", 2 },
    { "Hootsuite Inc.", 2 },      { "IFTTT", 1 },
};
const size_t sluice_gen_n_sources = COUNT(sluice_gen_sources);

const char *const sluice_gen_hashtags[] = {
    "BTS", "MayThe4thBeWithYou", "StarWarsDay", "IPL2021", "NFT", "Bitcoin", "crypto",
    "MetGala", "AI", "100DaysOfCode", "DataScience", "Python", "MachineLearning", "bringcolbyback",
    "Eurovision", "NBA", "PremierLeague", "MUFC", "ChampionsLeague", "ENHYPEN", "Dogecoin",
    "ElonMusk", "SNL", "Mothersday", "Ramadan", "EidMubarak", "TheMandalorian", "ACNH",
    "Genshin", "anime", "photography", "art", "music", "NowPlaying", "travel", "Paris",
    "Tokyo2020", "FelizLunes", "Brasil", "India", "Gaza", "ClimateAction", "WFH", "JavaScript",
    "100DaysOfFitness", "Monday", "MondayMotivation", "OnThisDay", "GameOfThrones", "Marvel",
    "BlackLivesMatter", "Pride", "Vaccine", "Spark", "BigData", "Kafka", "Cloud", "AWS", "Linux",
    "OpenSource",
};
const size_t sluice_gen_n_hashtags = COUNT(sluice_gen_hashtags);

const char *const sluice_gen_covid[] = {
    "covid", "COVID", "Covid", "covid-19", "COVID-19", "Covid19", "CoViD", "#COVID19",
    "#covid", "#CovidVaccine", "(covid)", "post-covid",
};
const size_t sluice_gen_n_covid = COUNT(sluice_gen_covid);

const char *const sluice_gen_cashtags[] = { "BTC", "ETH", "DOGE", "TSLA", "AAPL", "GME", "AMC" };
const size_t sluice_gen_n_cashtags = COUNT(sluice_gen_cashtags);

const struct sluice_gen_annotation sluice_gen_annotations[] = {
    { "Joe Biden", "Person" },      { "Elon Musk", "Person" },    { "Taylor Swift", "Person" },
    { "Colby cheez", "Person" },    { "New York", "Place" },      { "Paris", "Place" },
    { "India", "Place" },           { "Brazil", "Place" },        { "NASA", "Organization" },
    { "Pfizer", "Organization" },   { "SpaceX", "Organization" }, { "Netflix", "Organization" },
    { "iPhone", "Product" },        { "PlayStation", "Product" }, { "Star Wars", "Other" },
    { "Mother's Day", "Other" },
};
const size_t sluice_gen_n_annotations = COUNT(sluice_gen_annotations);

const struct sluice_gen_url sluice_gen_urls[] = {
    { "www.youtube.com", "/watch?v=dQw4w9WgXcQ", "Official music video" },
    { "www.instagram.com", "/p/COa1b2c3d4e/", NULL },
    { "www.nytimes.com", "/2021/05/03/world/vaccines.html", "Vaccine rollout, country by country" },
    { "twitter.com", "/i/web/status/1389126523853148162", NULL },
    { "open.spotify.com", "/track/4uLU6hMCjMI75M1A2tKUQC", "Never Gonna Give You Up" },
    { "github.com", "/apache/spark", "apache/spark: Apache Spark - A unified analytics engine" },
    { "www.bbc.co.uk", "/news/world-56962735", "World news" },
    { "bit.ly", "/3xYzAbC", NULL },
};
const size_t sluice_gen_n_urls = COUNT(sluice_gen_urls);

const char *const sluice_gen_handle_a[] = {
    "Divined", "Dark", "Happy", "Lazy", "Crypto", "Golden", "Silent", "Mad", "Little", "Big",
    "Sunny", "Blue", "Real", "Just", "Captain", "Mister", "Lady", "Night", "Pixel", "Coffee",
    "Tokyo", "Paris", "Rio", "Data", "Cosmic", "Wild", "Lucky", "Iron", "Sweet", "Urban",
};
const size_t sluice_gen_n_handle_a = COUNT(sluice_gen_handle_a);

const char *const sluice_gen_handle_b[] = {
    "Havoc", "Wolf", "Panda", "Fox", "Gamer", "Writer", "Rider", "Queen", "King", "Fan", "Chef",
    "Coder", "Artist", "Dreamer", "Runner", "Otaku", "Trader", "Girl", "Guy", "Bot", "News",
    "Daily", "Life", "Vibes", "Soul",
};
const size_t sluice_gen_n_handle_b = COUNT(sluice_gen_handle_b);

const char *const sluice_gen_first_names[] = {
    "Justin", "Maria", "José", "Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Sofía",
    "Hugo", "Chloé", "Léa", "João", "Ana", "Yuki", "Haruto", "田中", "さくら", "민준", "Ahmed",
    "Fatima", "Priya", "Arjun", "Zoë", "Björn", "Elif", "Mehmet", "Sven", "Giulia", "Marco",
    "Chris", "Sam", "Alex", "Jordan", "Taylor", "🌸 Mia", "Kev",
};
const size_t sluice_gen_n_first_names = COUNT(sluice_gen_first_names);

const char *const sluice_gen_last_names[] = {
    "Smith", "Garcia", "Martin", "Dubois", "Silva", "Rossi", "Müller", "Yamamoto", "太郎", "Kim",
    "Khan", "Patel", "Yılmaz", "Johansson", "O'Brien", "Nguyen", "Lopez", "Bernard",
};
const size_t sluice_gen_n_last_names = COUNT(sluice_gen_last_names);
